<%@ page contentType="text/html; charset=UTF-8" session="false" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<c:set var="ctx" value="${pageContext.request.contextPath}"/>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Delete report <c:out value="${batch.id}"/> · VT Batch Search</title>
  <link rel="stylesheet" href="${ctx}/static/app.css">
  <script src="${ctx}/static/app.js" defer></script>
</head>
<body>
<%@ include file="header.jspf" %>
<main>
  <h1>Delete this report?</h1>
  <p>Batch <code><c:out value="${batch.id}"/></code>, uploaded
    <time datetime="<c:out value='${batch.createdAt}'/>"><c:out value="${batch.createdAt}"/></time>,
    with <c:out value="${batch.unique}"/> distinct hashes. Once deleted, its address shows nothing, for
    you and for everyone you shared it with. This cannot be undone.</p>
  <form class="delete-report" method="post" action="${ctx}/report/<c:out value='${batch.id}'/>/delete"
        data-batch-id="<c:out value='${batch.id}'/>">
    <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
    <input type="hidden" name="confirm" value="yes">
    <button type="submit">Delete the report</button>
    <a class="button secondary" href="${ctx}/report/<c:out value='${batch.id}'/>">Keep it</a>
  </form>
</main>
</body>
</html>
