<%@ page contentType="text/html; charset=UTF-8" session="false" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in · VT Batch Search</title>
  <link rel="stylesheet" href="${pageContext.request.contextPath}/static/app.css">
</head>
<body>
<header class="top">
  <a class="brand" href="${pageContext.request.contextPath}/">VT Batch Search</a>
</header>
<main>
  <h1>Sign in</h1>
  <p>This instance is private. Enter its access token once; this browser stays signed in until it is closed.</p>
  <c:if test="${not empty error}">
    <p class="error" role="alert"><c:out value="${error}"/></p>
  </c:if>
  <form method="post" action="${pageContext.request.contextPath}/login">
    <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
    <input type="hidden" name="next" value="<c:out value='${next}'/>">
    <label for="token">Access token</label>
    <input id="token" type="password" name="token" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
</main>
</body>
</html>
