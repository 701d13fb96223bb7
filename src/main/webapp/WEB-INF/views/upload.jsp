<%@ page contentType="text/html; charset=UTF-8" session="false" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<%@ taglib prefix="fmt" uri="http://java.sun.com/jsp/jstl/fmt" %>
<c:set var="ctx" value="${pageContext.request.contextPath}"/>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>VT Batch Search</title>
  <link rel="stylesheet" href="${ctx}/static/app.css">
  <script src="${ctx}/static/app.js" defer></script>
</head>
<body>
<%@ include file="header.jspf" %>
<main id="upload" class="upload">
  <h1>Look up a batch of file hashes</h1>
  <p>Upload a text file or paste text: IOC feeds, threat reports, YARA rules, EDR exports. Every MD5, SHA-1 and
    SHA-256 in it is looked up on VirusTotal; hashes already known are answered at once.</p>
  <p id="upload-error" class="error" role="alert" ${empty error ? 'hidden' : ''}><c:out value="${error}"/></p>
  <div class="upload-layout">
  <form id="upload-form" method="post" action="${ctx}/upload" enctype="multipart/form-data"
        data-api="${ctx}/api/batches" data-max-bytes="${limits.maxUploadMb * 1024 * 1024}"
        data-max-mb="${limits.maxUploadMb}">
    <%-- first in the form: the server checks it before reading the upload --%>
    <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
    <div id="dropzone" class="dropzone">
      <label for="file">Text file</label>
      <input id="file" type="file" name="file" accept=".txt,.csv,.tsv,.log,.json,.xml,.yar,.yara,.ioc,.md,text/*">
      <p class="hint">or drop a file here</p>
      <p id="file-chosen" class="chosen" aria-live="polite"></p>
    </div>
    <label for="text">or paste text</label>
    <textarea id="text" name="text" rows="8" placeholder="44d88612fea8a8f36de82e1278abb02f"><c:out value="${pastedText}"/></textarea>
    <p class="limits">Up to <c:out value="${limits.maxUploadMb}"/> MB and
      <fmt:formatNumber value="${limits.maxHashesPerBatch}" groupingUsed="true"/> distinct hashes per batch. Text only (UTF-8, or UTF-16 with a
      byte-order mark): a binary file is refused, and so is text without an MD5, SHA-1 or SHA-256 in it.</p>
    <button type="submit" id="submit">Look up hashes</button>
  </form>

  <aside id="recent" class="recent" aria-labelledby="recent-title" hidden>
    <h2 id="recent-title">Your recent reports</h2>
    <p class="muted">Remembered in this browser only; nobody else can list them.</p>
    <ol id="recent-list"></ol>
    <button type="button" id="recent-clear" class="secondary">Forget this list</button>
  </aside>
  </div>
</main>
</body>
</html>
