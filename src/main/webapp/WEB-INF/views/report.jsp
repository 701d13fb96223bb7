<%@ page contentType="text/html; charset=UTF-8" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<c:set var="counts" value="${report.counts}"/>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <c:if test="${report.pending}"><meta http-equiv="refresh" content="${refreshSeconds}"></c:if>
  <title>Report <c:out value="${report.batch.id}"/> · VT Batch Search</title>
  <link rel="stylesheet" href="${pageContext.request.contextPath}/static/app.css">
</head>
<body>
<%@ include file="header.jspf" %>
<main>
  <h1>Report</h1>
  <p class="meta">Batch <code><c:out value="${report.batch.id}"/></code>, uploaded
    <c:out value="${report.batch.createdAt}"/>. Keep this page's address: it is the only way back to it.</p>

  <dl class="counts">
    <div><dt>Found</dt><dd id="count-found"><c:out value="${counts.found}"/></dd></div>
    <div><dt>Unique</dt><dd id="count-unique"><c:out value="${counts.unique}"/></dd></div>
    <div><dt>Done</dt><dd id="count-done"><c:out value="${counts.done}"/></dd></div>
    <div><dt>Pending</dt><dd id="count-pending"><c:out value="${counts.pending}"/></dd></div>
    <div><dt>Malicious</dt><dd id="count-malicious"><c:out value="${counts.malicious}"/></dd></div>
    <div><dt>Not on VirusTotal</dt><dd id="count-not-found"><c:out value="${counts.notFound}"/></dd></div>
    <div><dt>Errors</dt><dd id="count-errors"><c:out value="${counts.errors}"/></dd></div>
  </dl>
  <p class="progress">
    <progress max="${counts.unique}" value="${counts.done}"></progress>
    <c:out value="${counts.done}"/> of <c:out value="${counts.unique}"/> looked up
    <c:if test="${report.pending}">· this page refreshes every <c:out value="${refreshSeconds}"/> s</c:if>
  </p>
  <c:if test="${report.pending}">
    <p class="eta" id="eta"><c:out value="${report.progress.lookupsToGo}"/> lookups to go (this batch's and the other
      batches' turns meanwhile)<c:if test="${not empty report.progress.etaText}">, done in
      <c:out value="${report.progress.etaText}"/></c:if>.</p>
  </c:if>
  <form method="post" action="${pageContext.request.contextPath}/report/${report.batch.id}/refresh">
    <button type="submit">Look up stale answers again</button>
  </form>
  <p><a href="${pageContext.request.contextPath}/api/batches/${report.batch.id}">JSON</a></p>

  <table class="items">
    <thead>
    <tr>
      <th>Hash</th><th>Type</th><th>Status</th><th>Detections</th><th>Threat label</th><th>Name</th>
      <th>File type</th><th>First seen</th><th>VirusTotal</th>
    </tr>
    </thead>
    <tbody>
    <c:forEach var="item" items="${report.items}">
      <tr class="status-${item.status}${item.flagged ? ' flagged' : ''}">
        <td class="hash"><code><c:out value="${item.hash}"/></code></td>
        <td><c:out value="${item.typeLabel}"/></td>
        <td>
          <c:choose>
            <c:when test="${item.status == 'done'}">found</c:when>
            <c:when test="${item.status == 'not_found'}">not on VirusTotal</c:when>
            <c:when test="${item.status == 'error'}"><span title="<c:out value='${item.error}'/>">error</span></c:when>
            <c:otherwise>pending</c:otherwise>
          </c:choose>
          <c:if test="${item.stale}"><span class="stale">stale<c:if test="${item.refreshing}">, refreshing</c:if></span></c:if>
        </td>
        <td class="num"><c:if test="${item.status == 'done'}"><c:out value="${item.malicious}"/>/<c:out value="${item.total}"/></c:if></td>
        <td><c:out value="${item.label}"/></td>
        <td><c:out value="${item.name}"/></td>
        <td><c:out value="${item.fileType}"/></td>
        <td><c:out value="${item.firstSeenDate}"/></td>
        <td><a href="<c:out value='${item.vtUrl}'/>" rel="noopener noreferrer" target="_blank">open</a></td>
      </tr>
    </c:forEach>
    </tbody>
  </table>
</main>
</body>
</html>
