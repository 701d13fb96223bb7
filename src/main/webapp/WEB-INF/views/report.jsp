<%@ page contentType="text/html; charset=UTF-8" session="false" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<%@ taglib prefix="fn" uri="http://java.sun.com/jsp/jstl/functions" %>
<c:set var="counts" value="${report.counts}"/>
<c:set var="query" value="${report.query}"/>
<c:set var="ctx" value="${pageContext.request.contextPath}"/>
<c:set var="api" value="${ctx}/api/batches/${report.batch.id}"/>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Report <c:out value="${report.batch.id}"/> · VT Batch Search</title>
  <link rel="stylesheet" href="${ctx}/static/app.css">
  <script src="${ctx}/static/app.js" defer></script>
</head>
<body>
<%@ include file="header.jspf" %>
<main id="report" class="report"
      data-batch-id="<c:out value='${report.batch.id}'/>"
      data-api="<c:out value='${api}'/>"
      data-report-path="<c:out value='${ctx}/report/${report.batch.id}'/>"
      data-created-at="<c:out value='${report.batch.createdAt}'/>"
      data-status="${report.pending ? 'pending' : 'done'}"
      data-poll-seconds="${pollSeconds}"
      data-offset="${query.offset}" data-limit="${query.limit}"
      data-verdict="<c:out value='${query.verdictKey}'/>" data-q="<c:out value='${query.text}'/>"
      data-change="<c:out value='${query.changeKey}'/>"
      data-sort="<c:out value='${query.sortKey}'/>" data-dir="${query.descending ? 'desc' : 'asc'}"
      data-filters="<c:out value='${query.filterQuery}'/>">
  <div class="title-row">
    <h1>Report</h1>
    <button type="button" id="copy-link" class="secondary" hidden>Copy link</button>
    <span id="copy-status" class="muted" role="status"></span>
  </div>
  <p class="meta">Batch <code><c:out value="${report.batch.id}"/></code>, uploaded
    <time datetime="<c:out value='${report.batch.createdAt}'/>"><c:out value="${report.batch.createdAt}"/></time>:
    <span id="count-found"><c:out value="${counts.found}"/></span> hashes found,
    <span id="count-unique"><c:out value="${counts.unique}"/></span> distinct.
    Keep this page's address: it is the only way back to it.</p>

  <section class="progress-block" aria-label="Progress">
    <progress id="progress" aria-label="Hashes looked up" max="${counts.unique}" value="${counts.done}"><c:out value="${counts.percentDone}"/> %</progress>
    <p id="progress-text" class="progress-text" aria-live="polite">
      <strong id="count-done"><c:out value="${counts.done}"/></strong> of
      <strong id="count-total"><c:out value="${counts.unique}"/></strong> looked up
      (<span id="percent-done"><c:out value="${counts.percentDone}"/></span> %)
      <span id="eta" class="muted"><c:choose>
        <c:when test="${report.pending}">· <c:out value="${report.etaText}"/><c:if test="${report.progress.lookupsToGo > 0}">
          (<c:out value="${report.progress.lookupsToGo}"/> lookups to go, other batches’ turns included)</c:if></c:when>
        <c:otherwise>· all lookups done</c:otherwise>
      </c:choose></span>
    </p>
  </section>

  <section class="summary" aria-label="Verdicts">
    <ul class="counters">
      <li><button type="button" class="counter v-malicious" data-verdict="malicious"><span class="icon" aria-hidden="true">&#x2716;</span><span class="n" id="count-malicious"><c:out value="${counts.malicious}"/></span><span class="what">malicious</span></button></li>
      <li><button type="button" class="counter v-suspicious" data-verdict="suspicious"><span class="icon" aria-hidden="true">!</span><span class="n" id="count-suspicious"><c:out value="${counts.suspicious}"/></span><span class="what">suspicious</span></button></li>
      <li><button type="button" class="counter v-clean" data-verdict="clean"><span class="icon" aria-hidden="true">&#x2714;</span><span class="n" id="count-clean"><c:out value="${counts.clean}"/></span><span class="what">clean</span></button></li>
      <li><button type="button" class="counter v-not_found" data-verdict="not_found"><span class="icon" aria-hidden="true">?</span><span class="n" id="count-not-found"><c:out value="${counts.notFound}"/></span><span class="what">not on VirusTotal</span></button></li>
      <li><button type="button" class="counter v-error" data-verdict="error"><span class="icon" aria-hidden="true">&#x26A0;</span><span class="n" id="count-errors"><c:out value="${counts.errors}"/></span><span class="what">error</span></button></li>
      <li><button type="button" class="counter v-pending" data-verdict="pending"><span class="icon" aria-hidden="true">&#x2026;</span><span class="n" id="count-pending"><c:out value="${counts.pending}"/></span><span class="what">pending</span></button></li>
      <li id="gap-item" ${counts.gap == null ? 'hidden' : ''}><button type="button" class="counter v-gap" id="gap-counter" aria-pressed="${query.filters.gap}"
          title="Files that count as malicious and that none of the chosen engines flags"><span class="icon" aria-hidden="true">&#x25CC;</span><span class="n" id="count-gap"><c:out value="${counts.gap}"/></span><span class="what">missed by my engines</span></button></li>
    </ul>
    <svg id="chart" class="chart" viewBox="0 0 360 150" width="360" height="150" role="img"
         aria-label="Verdicts of the batch's distinct hashes"></svg>
  </section>

  <c:set var="recheck" value="${report.recheck}"/>
  <section class="recheck" id="recheck" aria-label="Re-check">
    <h2>Re-check</h2>
    <p id="recheck-status"><c:choose>
      <c:when test="${recheck.running}">A re-check started <time datetime="<c:out value='${recheck.startedAt}'/>"><c:out value="${recheck.startedAt}"/></time> is running.</c:when>
      <c:when test="${not empty recheck.doneAt}">The last re-check, started <time datetime="<c:out value='${recheck.startedAt}'/>"><c:out value="${recheck.startedAt}"/></time>, changed <c:out value="${recheck.changed}"/> items.</c:when>
      <c:otherwise>Not re-checked yet.</c:otherwise>
    </c:choose></p>
    <ul class="changes" id="changes">
      <li><button type="button" class="change-counter" data-change="any"><span class="n" id="count-changed"><c:out value="${recheck.changed}"/></span> <span class="what">changed</span></button></li>
      <c:forEach var="kind" items="${recheck.changes}">
      <li><button type="button" class="change-counter" data-change="<c:out value='${kind.key}'/>"><span class="n" id="count-change-<c:out value='${kind.key}'/>"><c:out value="${kind.value}"/></span> <span class="what"><c:out value="${kind.key.replace('_', ' ')}"/></span></button></li>
      </c:forEach>
    </ul>
    <form class="recheck-form" id="recheck-form" method="post" action="${ctx}/report/${report.batch.id}/recheck">
      <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
      <button type="submit" id="recheck-button" class="secondary" ${recheck.running ? 'disabled' : ''}>Re-check every answer</button>
      <span id="recheck-estimate" class="muted"><c:if test="${recheck.running}">Running: the answers come in as they are looked up.</c:if><c:if test="${recheckEstimate != null && !recheck.running}"><c:out value="${recheckEstimate.lookups}"/> lookups<c:if test="${not empty recheckEstimate.doneAtText}">, done about <c:out value="${recheckEstimate.doneAtText}"/> (<c:out value="${recheckEstimate.etaText}"/>)</c:if>; other batches keep their turns.</c:if></span>
    </form>
    <form class="watch-form" id="watch-form" method="post" action="${ctx}/report/${report.batch.id}/watch">
      <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
      <label>Re-check on a schedule
        <select name="watch" id="watch">
          <option value="off" ${empty recheck.watch ? 'selected' : ''}>off</option>
          <option value="daily" ${recheck.watch == 'daily' ? 'selected' : ''}>daily</option>
          <option value="weekly" ${recheck.watch == 'weekly' ? 'selected' : ''}>weekly</option>
        </select>
      </label>
      <button type="submit" id="watch-save" class="secondary">Save</button>
      <span class="muted">Scheduled re-checks wait while any batch waits for its first answers.</span>
    </form>
    <p><button type="button" id="notify-done" class="secondary" hidden>Notify me when this batch is done</button>
      <span id="notify-status" class="muted" role="status"></span></p>
  </section>

  <section class="results" aria-label="Results">
    <form id="filters" class="filters" method="get" action="${ctx}/report/${report.batch.id}">
      <label>Verdict
        <select name="verdict" id="filter-verdict">
          <option value="">all</option>
          <c:forEach var="v" items="${['malicious','suspicious','clean','not_found','error','pending']}">
            <option value="${v}" ${query.verdictKey == v ? 'selected' : ''}><c:out value="${v == 'not_found' ? 'not on VirusTotal' : v}"/></option>
          </c:forEach>
        </select>
      </label>
      <label>Change
        <select name="change" id="filter-change">
          <option value="">all</option>
          <option value="any" ${query.changeKey == 'any' ? 'selected' : ''}>changed by the last re-check</option>
          <c:forEach var="k" items="${['newly_malicious','newly_suspicious','detections_up','detections_down','newly_known','label_changed','family_changed']}">
            <option value="${k}" ${query.changeKey == k ? 'selected' : ''}><c:out value="${k.replace('_', ' ')}"/></option>
          </c:forEach>
        </select>
      </label>
      <label>Search
        <input type="search" name="q" id="filter-q" value="<c:out value='${query.text}'/>" maxlength="200"
               placeholder="hash, label, name, file type, line" autocomplete="off">
      </label>
      <label>Min. detections
        <input type="number" name="minDetections" id="filter-min-detections" min="0" max="1000" step="1"
               value="<c:out value='${query.filters.minDetections}'/>" placeholder="any">
      </label>
      <label>My engines
        <input type="text" name="engines" id="filter-engines" maxlength="1100" autocomplete="off"
               value="<c:out value='${query.enginesText}'/>" placeholder="Microsoft,CrowdStrike">
      </label>
      <label class="check"><input type="checkbox" name="gap" value="true" id="filter-gap" ${query.filters.gap ? 'checked' : ''}>
        only what my engines miss</label>
      <c:forEach var="f" items="${['family','category','yaraRule','fileType','signer','firstSeenYear']}">
        <c:if test="${query.filters[f] != null}"><input type="hidden" name="${f}" value="<c:out value='${query.filters[f]}'/>"></c:if>
      </c:forEach>
      <label>Rows per page
        <select name="limit" id="page-size">
          <c:forEach var="n" items="${[50, 100, 250, 1000]}">
            <option value="${n}" ${query.limit == n ? 'selected' : ''}>${n}</option>
          </c:forEach>
        </select>
      </label>
      <%-- Without script the form is how filters change: it keeps the sort the page shows. --%>
      <c:if test="${query.sortKey != 'position'}"><input type="hidden" name="sort" value="<c:out value='${query.sortKey}'/>"></c:if>
      <c:if test="${query.descending}"><input type="hidden" name="dir" value="desc"></c:if>
      <button type="submit" id="apply-filters">Apply</button>
      <p class="exports">Download the rows the filters select:
        <a id="export-csv" href="<c:out value='${api}?format=csv${empty query.filterQuery ? "" : "&"}${query.filterQuery}'/>" download>CSV</a> ·
        <a id="export-json" href="<c:out value='${api}?format=json${empty query.filterQuery ? "" : "&"}${query.filterQuery}'/>" download>JSON</a></p>
      <%-- Each file VirusTotal knows once, of the rows these filters select; the script keeps the links in step. --%>
      <c:set var="exportPrefix" value="${api}?${empty exportFilters ? '' : exportFilters.concat('&')}format="/>
      <div id="exports-files" class="exports exports-files" data-api="<c:out value='${api}'/>">
        <p>Files of the rows shown, each once, for your tools:
          block list of <a id="export-sha256" data-format="sha256" href="<c:out value='${exportPrefix}sha256'/>" download>SHA-256</a>,
          <a id="export-md5" data-format="md5" href="<c:out value='${exportPrefix}md5'/>" download>MD5</a> or
          <a id="export-sha1" data-format="sha1" href="<c:out value='${exportPrefix}sha1'/>" download>SHA-1</a> ·
          <a id="export-misp" data-format="misp" href="<c:out value='${exportPrefix}misp'/>" download>MISP event</a> ·
          <a id="export-stix" data-format="stix" href="<c:out value='${exportPrefix}stix'/>" download>STIX 2.1 bundle</a></p>
        <p id="exports-unfiltered" ${exportFiltered ? '' : 'hidden'}>Without the filters:
          <a href="${api}?format=csv" download>CSV</a> ·
          <a href="${api}?format=json" download>JSON</a> ·
          <a href="${api}?format=sha256" download>SHA-256</a> ·
          <a href="${api}?format=misp" download>MISP</a> ·
          <a href="${api}?format=stix" download>STIX 2.1</a></p>
      </div>
    </form>
    <div id="active-filters" class="active-filters" aria-live="polite"></div>
    <details id="columns-chooser" class="columns-chooser">
      <summary>Columns</summary>
      <div id="columns-list" class="columns-list"></div>
    </details>
    <section id="facets" class="facets" aria-label="Facets" hidden>
      <h2>In this batch</h2>
      <div id="facet-lists" class="facet-lists"></div>
    </section>
    <%-- Only when this page shows stale answers. --%>
    <c:set var="anyStale" value="false"/>
    <c:forEach var="item" items="${report.items}"><c:if test="${item.stale}"><c:set var="anyStale" value="true"/></c:if></c:forEach>
    <c:if test="${not empty error}">
    <p id="refresh-error" class="error" role="alert"><c:out value="${error}"/></p>
    </c:if>
    <c:if test="${anyStale}">
    <form class="refresh" method="post" action="${ctx}/report/${report.batch.id}/refresh">
      <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
      <button type="submit" class="secondary">Look up stale answers again</button>
      <span class="muted">Some answers are older than the cache's time to live.</span>
    </form>
    </c:if>

    <div class="table-wrap">
    <table class="items" id="items">
      <caption id="table-caption">Rows <c:out value="${report.matched == 0 ? 0 : query.offset + 1}"/>–<c:out value="${query.offset + report.items.size()}"/> of <c:out value="${report.matched}"/></caption>
      <thead>
      <tr>
        <th scope="col" data-col="hash" data-sort="hash">Hash</th>
        <th scope="col" data-col="type" data-sort="type">Type</th>
        <th scope="col" data-col="verdict" data-sort="verdict">Verdict</th>
        <th scope="col" data-col="detections" data-sort="detections" class="num">Detections</th>
        <th scope="col" data-col="label" data-sort="label">Threat label</th>
        <th scope="col" data-col="name" data-sort="name">Name</th>
        <th scope="col" data-col="fileType" data-sort="fileType">File type</th>
        <th scope="col" data-col="firstSeen" data-sort="firstSeen">First seen</th>
        <th scope="col" data-col="context">Line</th>
        <th scope="col" data-col="md5" hidden>MD5</th>
        <th scope="col" data-col="sha1" hidden>SHA-1</th>
        <th scope="col" data-col="sha256" hidden>SHA-256</th>
        <th scope="col" data-col="size" data-sort="size" class="right" hidden>Size</th>
        <th scope="col" data-col="timesSubmitted" data-sort="timesSubmitted" class="right" hidden>Submitted</th>
        <th scope="col" data-col="lastAnalysis" data-sort="lastAnalysis" hidden>Analysed</th>
        <th scope="col" data-col="family" data-sort="family" hidden>Family</th>
        <th scope="col" data-col="category" data-sort="category" hidden>Category</th>
        <th scope="col" data-col="signer" data-sort="signer" hidden>Signer</th>
        <th scope="col" data-col="yaraRules" hidden>YARA rules</th>
        <th scope="col" data-col="tags" hidden>Tags</th>
        <c:forEach var="engine" items="${report.engines}">
        <th scope="col" data-col="engine" class="engine${engine.known ? '' : ' unknown'}" data-engine="<c:out value='${engine.name}'/>"><c:out value="${engine.name}"/><c:if test="${not engine.known}"> <span class="unknown-engine">(in no answer)</span></c:if></th>
        </c:forEach>
        <th scope="col" data-col="vtUrl">VirusTotal</th>
      </tr>
      </thead>
      <tbody id="rows">
      <c:forEach var="item" items="${report.items}">
        <tr class="item v-${item.verdict}" data-hash="${item.hash}">
          <td class="hash" data-col="hash"><code title="<c:out value='${item.hash}'/>"><c:out value="${fn:substring(item.hash, 0, 12)}"/>…</code></td>
          <td><c:out value="${item.typeLabel}"/></td>
          <td><span class="verdict v-${item.verdict}"><c:choose>
            <c:when test="${item.verdict == 'not_found'}">not on VirusTotal</c:when>
            <c:when test="${item.verdict == 'error'}"><span title="<c:out value='${item.error}'/>">error</span></c:when>
            <c:otherwise><c:out value="${item.verdict}"/></c:otherwise>
          </c:choose></span><c:forEach var="k" items="${item.change}"><span class="change"><c:out value="${k.replace('_', ' ')}"/></span></c:forEach><c:if test="${item.stale}"><span class="stale"><c:out value="${item.refreshing ? 'stale, refreshing' : 'stale'}"/></span></c:if></td>
          <td class="num"><c:if test="${item.status == 'done'}"><c:out value="${item.malicious}"/>/<c:out value="${item.total}"/></c:if></td>
          <td><c:out value="${item.label}"/></td>
          <td class="name"><c:out value="${item.name}"/></td>
          <td><c:out value="${item.fileType}"/></td>
          <td><c:out value="${item.firstSeenDate}"/></td>
          <td class="context"><c:out value="${item.context}"/></td>
          <td data-col="md5" hidden><c:if test="${item.md5 != null}"><code title="<c:out value='${item.md5}'/>"><c:out value="${fn:substring(item.md5, 0, 12)}"/>…</code></c:if></td>
          <td data-col="sha1" hidden><c:if test="${item.sha1 != null}"><code title="<c:out value='${item.sha1}'/>"><c:out value="${fn:substring(item.sha1, 0, 12)}"/>…</code></c:if></td>
          <td data-col="sha256" hidden><c:if test="${item.sha256 != null}"><code title="<c:out value='${item.sha256}'/>"><c:out value="${fn:substring(item.sha256, 0, 12)}"/>…</code></c:if></td>
          <td data-col="size" class="right" hidden><c:out value="${item.size}"/></td>
          <td data-col="timesSubmitted" class="right" hidden><c:out value="${item.timesSubmitted}"/></td>
          <td data-col="lastAnalysis" hidden><c:out value="${item.lastAnalysis == null ? '' : fn:substring(item.lastAnalysis, 0, 10)}"/></td>
          <td data-col="family" hidden><c:out value="${item.family}"/></td>
          <td data-col="category" hidden><c:out value="${item.category}"/></td>
          <td data-col="signer" hidden><c:out value="${item.signer}"/></td>
          <td data-col="yaraRules" hidden><c:out value="${item.yaraRulesText}"/></td>
          <td data-col="tags" hidden><c:out value="${item.tagsText}"/></td>
          <c:forEach var="engine" items="${report.engines}">
          <td data-col="engine" class="engine"><c:if test="${item.engines != null}"><c:out value="${item.engines[engine.name] == null ? '–' : item.engines[engine.name]}"/></c:if></td>
          </c:forEach>
          <td data-col="vtUrl"><a href="<c:out value='${item.vtUrl}'/>" rel="noopener noreferrer" target="_blank">open</a></td>
        </tr>
      </c:forEach>
      </tbody>
    </table>
    </div>
    <nav class="pager" aria-label="Pages">
      <c:if test="${query.offset > 0}">
        <c:url var="prevUrl" value="/report/${report.batch.id}">
          <c:param name="offset" value="${query.offset - query.limit < 0 ? 0 : query.offset - query.limit}"/>
          <c:param name="limit" value="${query.limit}"/>
          <c:if test="${not empty query.verdictKey}"><c:param name="verdict" value="${query.verdictKey}"/></c:if>
          <c:if test="${query.text != null}"><c:param name="q" value="${query.text}"/></c:if>
          <c:if test="${not empty query.changeKey}"><c:param name="change" value="${query.changeKey}"/></c:if>
          <c:if test="${query.sortKey != 'position'}"><c:param name="sort" value="${query.sortKey}"/></c:if>
          <c:if test="${query.descending}"><c:param name="dir" value="desc"/></c:if>
          <c:if test="${query.filters.minDetections != null}"><c:param name="minDetections" value="${query.filters.minDetections}"/></c:if>
          <c:if test="${query.filters.gap}"><c:param name="gap" value="true"/></c:if>
          <c:if test="${query.enginesParameter != null}"><c:param name="engines" value="${query.enginesParameter}"/></c:if>
          <c:forEach var="f" items="${['family','category','yaraRule','fileType','signer','firstSeenYear']}">
            <c:if test="${query.filters[f] != null}"><c:param name="${f}" value="${query.filters[f]}"/></c:if>
          </c:forEach>
        </c:url>
        <a id="page-prev" class="button secondary" href="<c:out value='${prevUrl}'/>">&#x2190; Previous</a>
      </c:if>
      <c:if test="${query.offset + query.limit < report.matched}">
        <c:url var="nextUrl" value="/report/${report.batch.id}">
          <c:param name="offset" value="${query.offset + query.limit}"/>
          <c:param name="limit" value="${query.limit}"/>
          <c:if test="${not empty query.verdictKey}"><c:param name="verdict" value="${query.verdictKey}"/></c:if>
          <c:if test="${query.text != null}"><c:param name="q" value="${query.text}"/></c:if>
          <c:if test="${not empty query.changeKey}"><c:param name="change" value="${query.changeKey}"/></c:if>
          <c:if test="${query.sortKey != 'position'}"><c:param name="sort" value="${query.sortKey}"/></c:if>
          <c:if test="${query.descending}"><c:param name="dir" value="desc"/></c:if>
          <c:if test="${query.filters.minDetections != null}"><c:param name="minDetections" value="${query.filters.minDetections}"/></c:if>
          <c:if test="${query.filters.gap}"><c:param name="gap" value="true"/></c:if>
          <c:if test="${query.enginesParameter != null}"><c:param name="engines" value="${query.enginesParameter}"/></c:if>
          <c:forEach var="f" items="${['family','category','yaraRule','fileType','signer','firstSeenYear']}">
            <c:if test="${query.filters[f] != null}"><c:param name="${f}" value="${query.filters[f]}"/></c:if>
          </c:forEach>
        </c:url>
        <a id="page-next" class="button secondary" href="<c:out value='${nextUrl}'/>">Next &#x2192;</a>
      </c:if>
    </nav>
  </section>

  <form class="delete-report" method="post" action="${ctx}/report/${report.batch.id}/delete"
        data-batch-id="<c:out value='${report.batch.id}'/>">
    <input type="hidden" name="csrf" value="<c:out value='${csrf.token}'/>">
    <button type="submit" class="secondary">Delete this report</button>
    <span class="muted">Removes this report and its list of hashes for everyone with its address.</span>
  </form>
</main>
</body>
</html>
