package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class StoredTextTest {
    @Test
    void controlCharactersAreDroppedAndLineBreaksAndTabsBecomeSpaces() {
        assertEquals("evilname.exe", StoredText.clean("evil\u0000name\u0007.exe"));
        assertEquals("a b  c", StoredText.clean("a\tb\r\nc"));
        assertEquals("trojan[31m", StoredText.clean("trojan\u001b[31m\u007f\u0085"));
        assertEquals("ünïcödé – 名前.exe", StoredText.clean("ünïcödé – 名前.exe"));
        assertNull(StoredText.clean(null));
    }

    @Test
    void textWithoutControlCharactersIsTheSameObject() {
        String name = "sample.exe";

        assertSame(name, StoredText.clean(name));
    }

    @Test
    void rawJsonWithoutControlCharactersIsKeptAsItCame() {
        String raw = "{\"data\": {\"id\": \"abc\",   \"attributes\": {\"names\": [\"a\\\\b\", \"c\\\"d\"]}}}";

        assertSame(raw, StoredText.json(raw));
    }

    @Test
    void rawJsonLosesControlCharactersInItsStringsAndKeysOnly() {
        String raw = "{\"data\": {\"attributes\": {\"names\": [\"a\\u0000b\", \"ok\"], \"n\\u0001ame\": \"x\\ny\","
                + " \"size\": 12, \"path\": \"C:\\\\u0000dir\"}}}";

        assertEquals("{\"data\":{\"attributes\":{\"names\":[\"ab\",\"ok\"],\"size\":12,\"path\":\"C:\\\\u0000dir\","
                + "\"name\":\"x y\"}}}", StoredText.json(raw));
    }

    @Test
    void textThatIsNotJsonIsCleanedAsText() {
        assertEquals("{not json", StoredText.json("{not\u0000 json"));
    }
}
