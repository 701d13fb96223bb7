<%@ page contentType="text/html; charset=UTF-8" isErrorPage="true" session="false" %>
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
  <h1><c:out value="${pageContext.response.status == 404 ? 'Not found' : 'Something went wrong'}"/></h1>
  <p class="error"><c:out value="${empty message ? 'This page does not exist.' : message}"/></p>
  <p><a href="${pageContext.request.contextPath}/">Upload hashes</a></p>
</main>
</body>
</html>
