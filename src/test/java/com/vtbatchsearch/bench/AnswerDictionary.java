package com.vtbatchsearch.bench;

import com.vtbatchsearch.lookup.StoredAnswer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;

/**
 * How the preset dictionary of stored answers ({@code answer-dictionary-1.txt}, see {@link StoredAnswer}) was
 * made, and what it gains. Not a test: {@code bench/answer-dictionary} prints, for every real answer of
 * {@code src/test/resources/vt-real/}, its compact size, gzipped as stored before and packed with the
 * dictionary; {@code bench/answer-dictionary <file>} writes the dictionary to that file.
 *
 * <p>The dictionary holds only the generic shape of VirusTotal's file answers, written out below: the
 * attribute keys of the API's file object, common enumerated values (verdict categories, detection method,
 * type descriptions and tags, PE section names, sandbox and Sigma keys), and one empty result per engine of
 * {@link #ENGINES} in the two key orders answers come in. It holds no value that is particular to a file:
 * no hash, file name, engine version, date, rule or detection name, so the answers it is measured on (the
 * benchmarks' too) are not in it. Deflate finds matches nearer the end of the dictionary cheaper, so the
 * rarest parts come first and the engines' results, which every answer repeats some 75 times, last.
 *
 * <p>A shipped dictionary never changes ({@code StoredAnswerTest} checks the generator still makes it
 * byte for byte): a better one is a new file with a new number, and this class gets a method for it.
 */
public final class AnswerDictionary {
    private AnswerDictionary() {
    }

    /** The antivirus engines of VirusTotal's {@code last_analysis_results}, current and retired ones. */
    static final List<String> ENGINES = List.of(
            "ALYac", "APEX", "AVG", "AVware", "Acronis", "Ad-Aware", "AegisLab", "AhnLab-V3", "Alibaba", "Antiy-AVL",
            "Arcabit", "Avast", "Avast-Mobile", "Avira", "Baidu", "BitDefender", "BitDefenderFalx", "BitDefenderTheta",
            "Bkav", "CAT-QuickHeal", "CMC", "CTX", "ClamAV", "Comodo", "CrowdStrike", "Cybereason", "Cylance", "Cynet",
            "Cyren", "DeepInstinct", "DrWeb", "ESET-NOD32", "Elastic", "Emsisoft", "Endgame", "F-Prot", "F-Secure",
            "FireEye", "Fortinet", "GData", "Google", "Gridinsoft", "Ikarus", "Invincea", "Jiangmin", "K7AntiVirus",
            "K7GW", "Kaspersky", "Kingsoft", "Lionic", "MAX", "Malwarebytes", "MaxSecure", "McAfee",
            "McAfee-GW-Edition", "McAfeeD", "MicroWorld-eScan", "Microsoft", "NANO-Antivirus", "Paloalto", "Panda",
            "Qihoo-360", "Rising", "SUPERAntiSpyware", "Sangfor", "SentinelOne", "Skyhigh", "Sophos", "Symantec",
            "SymantecMobileInsight", "TACHYON", "Tencent", "TheHacker", "TotalDefense", "Trapmine", "TrellixENS",
            "TrendMicro", "TrendMicro-HouseCall", "Trustlook", "VBA32", "VIPRE", "Varist", "ViRobot", "VirIT",
            "Webroot", "WhiteArmor", "Xcitium", "Yandex", "Zillya", "ZoneAlarm", "Zoner", "alibabacloud", "eGambit",
            "huorong", "nProtect", "tehtris");

    /** Keys of the parts of an answer that only some files have (file formats, rules, sandboxes), rarest first. */
    static final List<String> RARE_KEYS = List.of(
            // Mach-O
            "macho_info", "headers", "cpu_type", "cpu_subtype", "num_cmds", "size_cmds", "commands", "segments",
            "sections", "fileoff", "filesize", "vmaddr", "vmsize",
            // ELF
            "elf_info", "header", "hdr_version", "os_abi", "abi_version", "obj_version", "class", "machine",
            "entrypoint", "num_prog_headers", "num_section_headers", "section_list", "section_type",
            "physical_offset", "segment_list", "segment_type", "resources", "shared_libraries", "export_list",
            "import_list", "telfhash",
            // .NET
            "dot_net_assembly", "assembly_data", "assembly_name", "assembly_flags", "assembly_flags_txt",
            "buildnumber", "majorversion", "minorversion", "revisionnumber", "hashalgid", "flags_text",
            "clr_version", "clr_meta_version", "entry_point_rva", "entry_point_token", "metadata_header_rva",
            "resources_va", "strongname_va", "manifest_resource", "external_assemblies", "mscorlib", "streams",
            "#~", "#Strings", "#US", "#GUID", "#Blob", "tables_present", "tables_present_map", "tables_rows_map",
            "tables_rows_map_log", "type_definition_list", "namespace", "type_definitions", "dot_net_guids", "mvid",
            "typelib_id",
            // PE
            "pe_info", "rich_pe_header_hash", "compiler_product_versions", "resource_details", "resource_langs",
            "resource_types", "lang", "overlay", "exports", "signature_info", "copyright", "product",
            "file version", "original name", "internal name", "signers", "signers details", "verified",
            "signing date", "x509", "counter signers",
            // documents, archives, Android
            "openxml_info", "ole_info", "pdf_info", "bundle_info", "androguard", "office_info", "rtf_info",
            "html_info", "zip_info",
            // rules, sandboxes, other sources
            "crowdsourced_ids_results", "crowdsourced_ids_stats", "alert_context", "alert_severity", "rule_category",
            "rule_msg", "rule_raw", "rule_url", "src_ip", "src_port", "dest_ip", "dest_port", "info",
            "crowdsourced_ai_results", "analysis", "verdict", "known_distributors", "distributors",
            "data_sources", "nsrl_info", "trusted_verdict", "organization", "generator", "filename", "products",
            "filenames", "saferpickle", "justification", "classification", "filecondis", "raw_md5", "dhash",
            "magika", "antiy_info", "exiftool", "packers", "detectiteasy", "filetype", "values", "capabilities_tags",
            "downloadable", "sigma_analysis_results", "match_context", "rule_level", "rule_title", "rule_description",
            "rule_author", "rule_id", "rule_source", "crowdsourced_yara_results", "ruleset_id", "ruleset_name",
            "ruleset_version", "rule_name", "author", "description", "source", "match_date");

    /** Enumerated values and the shape of the parts most answers have, as they are written in an answer. */
    static final List<String> COMMON = List.of(
            "\"popular_threat_classification\":{\"suggested_threat_label\":\"trojan.",
            "\"popular_threat_category\":[{\"count\":", "\"popular_threat_name\":[{\"count\":",
            "\"value\":\"trojan\"},{\"count\":", "\"value\":\"virus\"", "\"value\":\"downloader\"",
            "\"value\":\"ransomware\"", "\"value\":\"adware\"", "\"value\":\"pua\"", "\"value\":\"worm\"",
            "\"value\":\"dropper\"", "\"value\":\"hacktool\"", "\"value\":\"miner\"", "\"value\":\"spyware\"",
            "\"value\":\"banker\"", "\"value\":\"phishing\"",
            "\"sigma_analysis_summary\":{\"Sigma Integrated Rule Set (GitHub)\":{\"critical\":0,\"high\":0,"
                    + "\"medium\":0,\"low\":0}}",
            "\"sigma_analysis_stats\":{\"critical\":0,\"high\":0,\"medium\":0,\"low\":0}",
            "\"rule_level\":\"low\",\"rule_source\":\"Sigma Integrated Rule Set (GitHub)\"",
            "\"sandbox_verdicts\":{\"Zenbox\":{\"category\":\"malicious\",\"sandbox_name\":\"Zenbox\","
                    + "\"malware_classification\":[\"MALWARE\",\"TROJAN\",\"EVADER\"],\"malware_names\":[\"",
            "\"category\":\"harmless\",\"sandbox_name\":\"", "\"malware_classification\":[\"CLEAN\"]",
            "\"malware_classification\":[\"UNKNOWN_VERDICT\"]", "\"confidence\":",
            "\"sections\":[{\"name\":\".text\",\"chi2\":", "\"name\":\".rdata\"", "\"name\":\".data\"",
            "\"name\":\".rsrc\"", "\"name\":\".reloc\"", "\"name\":\".pdata\"", "\"entropy\":", "\"raw_size\":",
            "\"flags\":\"rx\"", "\"flags\":\"r\"", "\"flags\":\"rw\"", "\"virtual_size\":", "\"virtual_address\":",
            "\"machine_type\":332", "\"imphash\":\"", "\"entry_point\":", "\"timestamp\":",
            "\"import_list\":[{\"library_name\":\"", "\",\"imported_functions\":[\"",
            "\"type\":\"Compiler\",\"name\":\"", "\"type\":\"Linker\",\"name\":\"", "\"type\":\"Library\",\"name\":\"",
            "\"trid\":[{\"file_type\":\"Win64 Executable (generic)\",\"probability\":",
            "\"file_type\":\"Win32 Executable (generic)\",\"probability\":",
            "\"file_type\":\"Win32 Dynamic Link Library (generic)\",\"probability\":",
            "\"file_type\":\"Generic Win/DOS Executable\",\"probability\":",
            "\"file_type\":\"DOS Executable Generic\",\"probability\":",
            "\"type_description\":\"Win32 EXE\"", "\"Win32 DLL\"", "\"Win64 EXE\"", "\"Win64 DLL\"", "\"PDF\"",
            "\"ZIP\"", "\"RAR\"", "\"7ZIP\"", "\"Android\"", "\"ELF\"", "\"Mach-O\"", "\"DOS COM\"", "\"DOS EXE\"",
            "\"MS Word Document\"", "\"MS Excel Spreadsheet\"", "\"Office Open XML Document\"",
            "\"Rich Text Format\"", "\"Powershell\"", "\"JavaScript\"", "\"HTML\"", "\"Text\"", "\"unknown\"",
            "\"type_tags\":[\"executable\",\"windows\",\"win32\",\"pe\",\"peexe\"]", "\"type_tag\":\"peexe\"",
            "\"type_extension\":\"exe\"", "\"pedll\"", "\"dll\"", "\"document\"", "\"msoffice\"", "\"text\"",
            "\"linux\"", "\"elf\"", "\"macho\"", "\"mac\"", "\"android\"", "\"apk\"", "\"pdf\"", "\"zip\"",
            "\"compressed\"", "\"archive\"", "\"source\"", "\"script\"",
            "\"tags\":[\"peexe\",\"assembly\",\"overlay\",\"signed\",\"invalid-signature\",\"64bits\",\"obfuscated\","
                    + "\"runtime-modules\",\"detect-debug-environment\",\"long-sleeps\",\"checks-network-adapters\","
                    + "\"calls-wmi\",\"direct-cpu-clock-access\",\"checks-user-input\",\"persistence\",\"via-tor\","
                    + "\"known-distributor\",\"idle\",\"attachment\",\"macros\",\"exploit\",\"cve-",
            "\"total_votes\":{\"harmless\":0,\"malicious\":0}", "\"reputation\":0", "\"times_submitted\":1",
            "\"unique_sources\":1");

    /** Keys most answers have. */
    static final List<String> ATTRIBUTE_KEYS = List.of(
            "first_seen_itw_date", "creation_date", "authentihash", "vhash", "tlsh", "ssdeep", "type_extension",
            "type_tag", "type_tags", "magic", "trid", "file_type", "probability", "meaningful_name",
            "last_modification_date", "first_submission_date", "last_submission_date", "last_analysis_date",
            "unique_sources", "times_submitted", "total_votes", "reputation", "names", "tags", "size", "md5", "sha1",
            "sha256", "type_description");

    /** The envelope and counts every answer has, as written. */
    static final String ENVELOPE = "{\"data\":{\"attributes\":{\"type_description\":\"\",\"tlsh\":\"T1\","
            + "\"vhash\":\"\",\"names\":[\"\"],\"last_analysis_stats\":{\"harmless\":0,\"type-unsupported\":0,"
            + "\"suspicious\":0,\"confirmed-timeout\":0,\"timeout\":0,\"failure\":0,\"malicious\":0,"
            + "\"undetected\":0},\"meaningful_name\":\"\",\"reputation\":0},\"type\":\"file\",\"id\":\"\","
            + "\"links\":{\"self\":\"https://www.virustotal.com/api/v3/files/\"}}}";

    /** An engine's result without detection, in an answer's two key orders: newer answers, then older ones. */
    private static final List<List<String>> RESULT_ORDERS = List.of(
            List.of("method", "engine_name", "engine_version", "engine_update", "category", "result"),
            List.of("category", "engine_name", "engine_version", "result", "method", "engine_update"));

    /** Dictionary 1, as shipped in {@code answer-dictionary-1.txt}. */
    public static byte[] dictionary1() {
        StringBuilder text = new StringBuilder(32 * 1024);
        for (String key : RARE_KEYS) {
            text.append('"').append(key).append("\":");
        }
        text.append(String.join(",", COMMON));
        for (String key : ATTRIBUTE_KEYS) {
            text.append('"').append(key).append("\":");
        }
        text.append(ENVELOPE);
        List<String> engines = new ArrayList<>(new TreeSet<>(ENGINES));
        engines.sort(Comparator.comparing(String::toLowerCase));
        for (List<String> order : RESULT_ORDERS) {
            text.append("\"last_analysis_results\":{");
            for (int n = 0; n < engines.size(); n++) {
                String engine = engines.get(n);
                text.append(n == 0 ? "" : ",").append('"').append(engine).append("\":{");
                for (int k = 0; k < order.size(); k++) {
                    text.append(k == 0 ? "" : ",").append('"').append(order.get(k)).append("\":").append(switch (order.get(k)) {
                        case "method" -> "\"blacklist\"";
                        case "engine_name" -> "\"" + engine + "\"";
                        case "engine_version" -> "\"\"";
                        case "engine_update" -> "\"20\"";
                        case "category" -> "\"undetected\"";
                        case "result" -> "null";
                        default -> throw new IllegalStateException(order.get(k));
                    });
                }
                text.append('}');
            }
            text.append("},");
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws IOException {
        byte[] dictionary = dictionary1();
        if (args.length > 0) {
            Files.write(Path.of(args[0]), dictionary);
            System.out.printf("wrote %s: %,d bytes%n", args[0], dictionary.length);
            return;
        }
        Path dir = Path.of("src/test/resources/vt-real");
        System.out.printf("dictionary 1: %,d bytes%n%-52s %8s %8s %8s%n", dictionary.length, "answer", "compact",
                "gzip", "dict 1");
        long gzipTotal = 0;
        long packedTotal = 0;
        int count = 0;
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("file-")).sorted().toList()) {
                String compact = StoredAnswer.unpack(StoredAnswer.pack(Files.readString(file)));
                int gzip = gzip(compact.getBytes(StandardCharsets.UTF_8)).length;
                int packed = StoredAnswer.pack(compact).length;
                System.out.printf("%-52s %8d %8d %8d%n", file.getFileName(), compact.getBytes(StandardCharsets.UTF_8).length,
                        gzip, packed);
                gzipTotal += gzip;
                packedTotal += packed;
                count++;
            }
        }
        System.out.printf("%-52s %8s %8d %8d%n", "average", "", gzipTotal / count, packedTotal / count);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }
}
