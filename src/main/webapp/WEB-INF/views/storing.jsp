<%@ page contentType="text/html; charset=UTF-8" session="false" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta http-equiv="refresh" content="${retrySeconds}">
  <title>VT Batch Search: storing the report</title>
  <link rel="stylesheet" href="${pageContext.request.contextPath}/static/app.css">
</head>
<body>
<%@ include file="header.jspf" %>
<main>
  <h1>Storing the report</h1>
  <p id="storing">Your upload of <c:out value="${storing.uniqueText}"/> distinct hashes is safely kept and
    its report is being written. This page opens the report by itself in a moment.</p>
  <p><a href="">Reload now</a></p>
</main>
</body>
</html>
