<%@ page contentType="text/html; charset=UTF-8" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>VT Batch Search</title>
  <link rel="stylesheet" href="${pageContext.request.contextPath}/static/app.css">
</head>
<body>
<%@ include file="header.jspf" %>
<main>
  <h1>Look up a batch of file hashes</h1>
  <p>Upload a text file or paste text: IOC feeds, threat reports, YARA rules, EDR exports. Every MD5, SHA-1 and
    SHA-256 in it is looked up on VirusTotal; hashes already known are answered at once.</p>
  <c:if test="${not empty error}">
    <p class="error" role="alert"><c:out value="${error}"/></p>
  </c:if>
  <form method="post" action="${pageContext.request.contextPath}/upload" enctype="multipart/form-data">
    <%-- first in the form: the server checks it before reading the upload --%>
    <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
    <label for="file">Text file</label>
    <input id="file" type="file" name="file">
    <label for="text">or paste text</label>
    <textarea id="text" name="text" rows="10" placeholder="44d88612fea8a8f36de82e1278abb02f"></textarea>
    <p class="limits">Up to <c:out value="${limits.maxUploadMb}"/> MB and
      <c:out value="${limits.maxHashesPerBatch}"/> distinct hashes per batch. Text only (UTF-8, or UTF-16 with a
      byte-order mark).</p>
    <button type="submit">Look up hashes</button>
  </form>
</main>
</body>
</html>
