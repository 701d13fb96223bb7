/*
 * VT Batch Search pages: the upload form (drag and drop, upload without leaving the page on an error,
 * recent reports kept in this browser) and the report (live progress, chart, sortable and filterable
 * table paged through the JSON API, expandable rows, copy link, a confirmed delete).
 * Data from uploads and from VirusTotal only ever reaches the page through textContent.
 */
(function () {
  'use strict';

  var RECENT_KEY = 'vtbatch.recentReports';
  var COLUMNS_KEY = 'vtbatch.columns';
  // The table's columns that can be chosen, in order; engine columns follow, then the VirusTotal link.
  var COLUMNS = [
    { key: 'type', label: 'Type', on: true },
    { key: 'verdict', label: 'Verdict', on: true },
    { key: 'detections', label: 'Detections', on: true },
    { key: 'label', label: 'Threat label', on: true },
    { key: 'name', label: 'Name', on: true },
    { key: 'fileType', label: 'File type', on: true },
    { key: 'firstSeen', label: 'First seen', on: true },
    { key: 'context', label: 'Line', on: true },
    { key: 'md5', label: 'MD5', on: false },
    { key: 'sha1', label: 'SHA-1', on: false },
    { key: 'sha256', label: 'SHA-256', on: false },
    { key: 'size', label: 'Size', on: false },
    { key: 'timesSubmitted', label: 'Submitted', on: false },
    { key: 'lastAnalysis', label: 'Analysed', on: false },
    { key: 'family', label: 'Family', on: false },
    { key: 'category', label: 'Category', on: false },
    { key: 'signer', label: 'Signer', on: false },
    { key: 'yaraRules', label: 'YARA rules', on: false },
    { key: 'tags', label: 'Tags', on: false },
    { key: 'engine', label: 'My engines', on: true }
  ];
  // The filters beyond verdict and text, as the API names them.
  var FILTERS = ['minDetections', 'gap', 'engines', 'family', 'category', 'yaraRule', 'fileType', 'signer',
    'firstSeenYear'];
  var FACET_TITLES = {
    family: 'Family', category: 'Category', yaraRules: 'YARA rules', fileType: 'File type', signer: 'Signer',
    firstSeenYear: 'First seen'
  };
  // The filter parameter of each facet.
  var FACET_FILTER = {
    family: 'family', category: 'category', yaraRules: 'yaraRule', fileType: 'fileType', signer: 'signer',
    firstSeenYear: 'firstSeenYear'
  };
  var RECENT_MAX = 10;

  var VERDICT_TEXT = {
    malicious: 'malicious', suspicious: 'suspicious', clean: 'clean',
    not_found: 'not on VirusTotal', error: 'error', pending: 'pending'
  };
  var VERDICT_ICON = {
    malicious: '\u2716', suspicious: '!', clean: '\u2714', not_found: '?', error: '\u26A0', pending: '\u2026'
  };
  var VERDICT_ORDER = ['malicious', 'suspicious', 'clean', 'not_found', 'error', 'pending'];
  var COUNT_FIELD = {
    malicious: 'malicious', suspicious: 'suspicious', clean: 'clean',
    not_found: 'notFound', error: 'errors', pending: 'pending'
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function svg(tag, attributes, text) {
    var node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) {
      node.textContent = String(text);
    }
    return node;
  }

  function formatNumber(n) {
    return Number(n).toLocaleString('en-US');
  }

  // "2019-08-01, 7 years ago": how old an analysis is, since an old one is a reason to doubt a clean verdict.
  function withAge(iso) {
    if (!iso) {
      return '';
    }
    var when = new Date(iso);
    if (isNaN(when.getTime())) {
      return iso;
    }
    var days = Math.floor((Date.now() - when.getTime()) / 86400000);
    var age;
    if (days >= 730) {
      age = Math.floor(days / 365.25) + ' years ago';
    } else if (days >= 365) {
      age = '1 year ago';
    } else if (days >= 60) {
      age = Math.floor(days / 30.44) + ' months ago';
    } else if (days >= 2) {
      age = days + ' days ago';
    } else {
      age = days === 1 ? 'yesterday' : 'today';
    }
    return iso.slice(0, 10) + ', ' + age;
  }

  function formatBytes(n) {
    if (n === null || n === undefined) {
      return '';
    }
    if (n < 1024) {
      return n + ' B';
    }
    return n < 1048576 ? (n / 1024).toFixed(1) + ' KB' : (n / 1048576).toFixed(1) + ' MB';
  }

  // A hash shortened for the table, the whole of it on hover and in a copy button.
  function hashCell(hash, className) {
    var td = el('td', className);
    if (!hash) {
      return td;
    }
    var code = el('code', 'short-hash', hash.length > 16 ? hash.slice(0, 12) + '\u2026' : hash);
    code.title = hash;
    code.dataset.full = hash;
    td.appendChild(code);
    var copy = el('button', 'copy', 'copy');
    copy.type = 'button';
    copy.title = 'Copy ' + hash;
    copy.setAttribute('aria-label', 'Copy ' + hash);
    copy.addEventListener('click', function () {
      copyText(hash).then(function () {
        copy.textContent = 'copied';
        setTimeout(function () { copy.textContent = 'copy'; }, 1500);
      }, function () {
        window.prompt('Copy the hash:', hash);
      });
    });
    td.appendChild(copy);
    return td;
  }

  function readColumns() {
    var chosen = {};
    COLUMNS.forEach(function (c) { chosen[c.key] = c.on; });
    try {
      var stored = JSON.parse(window.localStorage.getItem(COLUMNS_KEY) || 'null');
      if (stored && typeof stored === 'object') {
        COLUMNS.forEach(function (c) {
          if (typeof stored[c.key] === 'boolean') {
            chosen[c.key] = stored[c.key];
          }
        });
      }
    } catch (e) {
      // storage disabled or spoilt: the defaults
    }
    return chosen;
  }

  function saveColumns(chosen) {
    try {
      window.localStorage.setItem(COLUMNS_KEY, JSON.stringify(chosen));
    } catch (e) {
      // not remembered; the choice still holds on this page
    }
  }

  // ---- recent reports, kept in this browser only ----

  function readRecent() {
    try {
      var list = JSON.parse(window.localStorage.getItem(RECENT_KEY) || '[]');
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  function remember(entry) {
    try {
      var list = readRecent();
      var old = list.filter(function (r) { return r.id === entry.id; })[0];
      if (old) {
        entry.label = old.label || entry.label;
        entry.createdAt = old.createdAt || entry.createdAt;
      }
      list = list.filter(function (r) { return r.id !== entry.id; });
      list.unshift(entry);
      window.localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
    } catch (e) {
      // Storage may be disabled; the report still works, it is just not remembered.
    }
  }

  function forget(id) {
    try {
      var list = readRecent().filter(function (r) { return r.id !== id; });
      window.localStorage.setItem(RECENT_KEY, JSON.stringify(list));
    } catch (e) {
      // nothing stored, nothing to forget
    }
  }

  // ---- deleting a report ----

  // The report page's button asks here; the confirmation page (shown to browsers without script)
  // carries confirm=yes itself and is the question.
  function initDelete(form) {
    form.addEventListener('submit', function (event) {
      if (!form.querySelector('input[name="confirm"]')) {
        if (!window.confirm('Delete this report? Its address will show nothing, for you and for everyone '
            + 'you shared it with. This cannot be undone.')) {
          event.preventDefault();
          return;
        }
        var confirmed = el('input');
        confirmed.type = 'hidden';
        confirmed.name = 'confirm';
        confirmed.value = 'yes';
        form.appendChild(confirmed);
      }
      forget(form.dataset.batchId);
    });
  }

  // ---- upload page ----

  function initUpload(root) {
    var form = document.getElementById('upload-form');
    var fileInput = document.getElementById('file');
    var text = document.getElementById('text');
    var drop = document.getElementById('dropzone');
    var chosen = document.getElementById('file-chosen');
    var error = document.getElementById('upload-error');
    var submit = document.getElementById('submit');
    var maxBytes = Number(form.dataset.maxBytes);
    var maxMb = form.dataset.maxMb;

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    function describeFile() {
      var file = fileInput.files && fileInput.files[0];
      if (!file) {
        chosen.textContent = '';
        return true;
      }
      chosen.textContent = file.name + ' (' + (file.size / 1024 / 1024).toFixed(2) + ' MB)';
      if (file.size > maxBytes) {
        showError(file.name + ' is larger than the limit of ' + maxMb + ' MB. Split it into smaller files.');
        return false;
      }
      showError('');
      return true;
    }

    fileInput.addEventListener('change', describeFile);
    ['dragenter', 'dragover'].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        event.preventDefault();
        drop.classList.add('dragging');
      });
    });
    ['dragleave', 'dragend'].forEach(function (type) {
      drop.addEventListener(type, function () {
        drop.classList.remove('dragging');
      });
    });
    drop.addEventListener('drop', function (event) {
      event.preventDefault();
      drop.classList.remove('dragging');
      if (event.dataTransfer && event.dataTransfer.files.length > 0) {
        fileInput.files = event.dataTransfer.files;
        describeFile();
      }
    });

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var file = fileInput.files && fileInput.files[0];
      if (!file && !text.value.trim()) {
        showError('Nothing was uploaded: choose a file or paste text.');
        return;
      }
      if (!describeFile()) {
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Uploading\u2026';
      var data = new FormData();
      if (file) {
        data.append('file', file, file.name);
      }
      if (text.value.trim()) {
        data.append('text', text.value);
      }
      // The session cookie rides along, so the API wants the form's CSRF token in a header.
      var csrf = form.querySelector('input[name=csrf]');
      var headers = { 'Accept': 'application/json' };
      if (csrf) {
        headers['X-CSRF-Token'] = csrf.value;
      }
      fetch(form.dataset.api, { method: 'POST', body: data, headers: headers })
        .then(function (response) {
          return response.json().catch(function () {
            return { error: 'The server answered ' + response.status + '.' };
          }).then(function (body) {
            if (!response.ok) {
              throw new Error(body.error || 'The server answered ' + response.status + '.');
            }
            return body;
          });
        })
        .then(function (created) {
          remember({
            id: created.id, url: created.reportUrl, createdAt: new Date().toISOString(),
            label: file ? file.name : 'pasted text', unique: created.unique
          });
          window.location.assign(created.reportUrl);
        })
        .catch(function (e) {
          showError(e.message || 'The upload failed. Try again.');
          submit.disabled = false;
          submit.textContent = 'Look up hashes';
        });
    });

    renderRecent();
    document.getElementById('recent-clear').addEventListener('click', function () {
      try {
        window.localStorage.removeItem(RECENT_KEY);
      } catch (e) {
        // nothing stored, nothing to forget
      }
      renderRecent();
    });
  }

  function renderRecent() {
    var section = document.getElementById('recent');
    var list = document.getElementById('recent-list');
    var recent = readRecent();
    list.replaceChildren();
    recent.forEach(function (r) {
      var item = el('li');
      var link = el('a', null, r.label || r.id);
      link.href = r.url;
      item.appendChild(link);
      var when = r.createdAt ? new Date(r.createdAt) : null;
      var details = [];
      if (typeof r.unique === 'number') {
        details.push(formatNumber(r.unique) + ' hashes');
      }
      if (when && !isNaN(when.getTime())) {
        details.push(when.toLocaleString());
      }
      if (details.length) {
        item.appendChild(el('span', 'muted', ' \u00B7 ' + details.join(' \u00B7 ')));
      }
      list.appendChild(item);
    });
    section.hidden = recent.length === 0;
  }

  // ---- report page ----

  function initReport(root) {
    var data = root.dataset;
    var api = data.api;
    var pollMs = Number(data.pollSeconds) * 1000;
    var state = {
      offset: Number(data.offset) || 0,
      limit: Number(data.limit) || 100,
      verdict: data.verdict || '',
      q: data.q || '',
      sort: data.sort || 'position',
      dir: data.dir || 'asc',
      change: data.change || ''
    };
    var initialFilters = new URLSearchParams(data.filters || '');
    FILTERS.forEach(function (name) {
      state[name] = initialFilters.get(name) || '';
    });
    var columns = readColumns();
    var engines = Array.prototype.map.call(document.querySelectorAll('#items th[data-col=engine]'), function (th) {
      return { name: th.dataset.engine, known: !th.classList.contains('unknown') };
    });
    var facetsAskedAt = 0;
    var lastFacets = null;
    var notifyWhenDone = false;
    var recheckWasRunning = false;
    var wasPending = data.status !== 'done';
    var expanded = {};
    var detailsCache = {};
    var timer = null;
    var sequence = 0;
    var finished = data.status === 'done';
    var failures = 0;
    // A big batch changes slowly and costs more to count: ask less often, at most every 30 s.
    var MAX_POLL_MS = 30000;
    var sizeFactor = 1;

    var rows = document.getElementById('rows');
    var caption = document.getElementById('table-caption');
    var verdictSelect = document.getElementById('filter-verdict');
    var changeSelect = document.getElementById('filter-change');
    var search = document.getElementById('filter-q');
    var pageSize = document.getElementById('page-size');
    var pager = document.querySelector('.pager');
    var minDetections = document.getElementById('filter-min-detections');
    var enginesInput = document.getElementById('filter-engines');
    var gapBox = document.getElementById('filter-gap');

    remember({
      id: data.batchId, url: data.reportPath, createdAt: data.createdAt,
      label: 'report ' + data.batchId.slice(0, 8), unique: Number(document.getElementById('count-total').textContent)
    });

    // The script takes over: filters apply as they change, sorting by the column headers.
    document.getElementById('apply-filters').hidden = true;
    setUpCopyLink();
    setUpSortHeaders();
    verdictSelect.addEventListener('change', function () {
      state.verdict = verdictSelect.value;
      state.q = search.value.trim();
      state.offset = 0;
      refreshNow();
    });
    changeSelect.addEventListener('change', function () {
      state.change = changeSelect.value;
      state.offset = 0;
      refreshNow();
    });
    Array.prototype.forEach.call(document.querySelectorAll('.change-counter'), function (button) {
      button.addEventListener('click', function () {
        var c = button.dataset.change;
        state.change = state.change === c ? '' : c;
        changeSelect.value = state.change;
        state.offset = 0;
        refreshNow();
      });
    });
    setUpNotification();
    var searchDelay = null;
    function searchChanged() {
      clearTimeout(searchDelay);
      searchDelay = setTimeout(function () {
        if (state.q !== search.value.trim()) {
          state.q = search.value.trim();
          state.offset = 0;
          refreshNow();
        }
      }, 250);
    }
    ['input', 'change', 'search'].forEach(function (type) {
      search.addEventListener(type, searchChanged);
    });
    pageSize.addEventListener('change', function () {
      state.limit = Number(pageSize.value);
      state.offset = 0;
      refreshNow();
    });
    document.getElementById('filters').addEventListener('submit', function (event) {
      event.preventDefault();
      state.q = search.value.trim();
      state.offset = 0;
      refreshNow();
    });
    setUpColumnChooser();
    var numberDelay = null;
    minDetections.addEventListener('input', function () {
      clearTimeout(numberDelay);
      numberDelay = setTimeout(function () {
        var value = minDetections.value.trim();
        if (value !== '' && !/^[0-9]{1,4}$/.test(value)) {
          return;
        }
        if (state.minDetections !== value) {
          state.minDetections = value;
          state.offset = 0;
          refreshNow();
        }
      }, 300);
    });
    enginesInput.addEventListener('change', function () {
      state.engines = enginesInput.value.split(',').map(function (e) { return e.trim(); })
        .filter(function (e) { return e; }).join(',');
      state.offset = 0;
      refreshNow();
    });
    gapBox.addEventListener('change', function () {
      state.gap = gapBox.checked ? 'true' : '';
      state.offset = 0;
      refreshNow();
    });
    document.getElementById('gap-counter').addEventListener('click', function () {
      state.gap = state.gap === 'true' ? '' : 'true';
      gapBox.checked = state.gap === 'true';
      state.offset = 0;
      refreshNow();
    });
    Array.prototype.forEach.call(document.querySelectorAll('.counter[data-verdict]'), function (button) {
      button.addEventListener('click', function () {
        var v = button.dataset.verdict;
        state.verdict = state.verdict === v ? '' : v;
        verdictSelect.value = state.verdict;
        state.offset = 0;
        refreshNow();
      });
    });

    refreshNow();

    function query() {
      var params = new URLSearchParams();
      params.set('offset', state.offset);
      params.set('limit', state.limit);
      if (state.verdict) {
        params.set('verdict', state.verdict);
      }
      if (state.q) {
        params.set('q', state.q);
      }
      if (state.change === 'any') {
        params.set('changed', 'true');
      } else if (state.change) {
        params.set('change', state.change);
      }
      if (state.sort !== 'position') {
        params.set('sort', state.sort);
      }
      if (state.dir === 'desc') {
        params.set('dir', 'desc');
      }
      FILTERS.forEach(function (name) {
        if (state[name]) {
          params.set(name, state[name]);
        }
      });
      return params;
    }

    // The filters alone (no page, no sort): for the exports, which take the same filters as the page.
    function filterParams() {
      var params = new URLSearchParams();
      if (state.verdict) {
        params.set('verdict', state.verdict);
      }
      if (state.q) {
        params.set('q', state.q);
      }
      if (state.change === 'any') {
        params.set('changed', 'true');
      } else if (state.change) {
        params.set('change', state.change);
      }
      FILTERS.forEach(function (name) {
        if (state[name]) {
          params.set(name, state[name]);
        }
      });
      if (state.sort !== 'position') {
        params.set('sort', state.sort);
      }
      if (state.dir === 'desc') {
        params.set('dir', 'desc');
      }
      return params;
    }

    function refreshNow() {
      clearTimeout(timer);
      timer = null;
      var mine = ++sequence;
      var params = query();
      fetch(api + '?' + params.toString(), { headers: { 'Accept': 'application/json' }, cache: 'no-store' })
        .then(function (response) {
          if (response.status === 400) {
            return response.json().then(function (body) {
              var problem = new Error(body.error || 'bad request');
              problem.badRequest = true;
              throw problem;
            });
          }
          if (!response.ok) {
            throw new Error('status ' + response.status);
          }
          return response.json();
        })
        .then(function (batch) {
          if (mine !== sequence) {
            return;
          }
          failures = 0;
          showFilterError('');
          sizeFactor = 1 + Math.floor(batch.counts.unique / 10000);
          render(batch);
          keepAddressInStep(params);
          notifyIfDone(batch);
          // Refreshed answers arrive while the batch counts as done: keep asking until they are in, and
          // until a re-check is finished (its changes are written then).
          schedule(batch.status !== 'done' || batch.counts.refreshing > 0
            || (batch.recheck && batch.recheck.running));
        })
        .catch(function (e) {
          if (mine !== sequence) {
            return;
          }
          if (e && e.badRequest) {
            showFilterError(e.message);
            return;
          }
          failures++;
          setStatus('Cannot reach the server; trying again.');
          schedule(true);
        });
    }

    function schedule(more) {
      finished = !more;
      root.dataset.status = more ? 'pending' : 'done';
      if (more) {
        timer = setTimeout(refreshNow, Math.min(pollMs * (1 + failures) * sizeFactor, MAX_POLL_MS));
      }
    }

    function keepAddressInStep(params) {
      params.delete('limit');
      if (state.limit !== 100) {
        params.set('limit', state.limit);
      }
      if (state.offset === 0) {
        params.delete('offset');
      }
      var search = params.toString();
      window.history.replaceState(null, '', window.location.pathname + (search ? '?' + search : ''));
      updateFileExports();
    }

    // The block lists, MISP and STIX links take the filters and the sort the address now holds, never the page.
    function updateFileExports() {
      var box = document.getElementById('exports-files');
      if (!box) {
        return;
      }
      var params = new URLSearchParams(window.location.search);
      ['offset', 'limit', 'format', 'comments'].forEach(function (name) {
        params.delete(name);
      });
      Array.prototype.forEach.call(box.querySelectorAll('a[data-format]'), function (link) {
        var p = new URLSearchParams(params);
        p.set('format', link.dataset.format);
        link.href = box.dataset.api + '?' + p.toString();
      });
      params.delete('sort');
      params.delete('dir');
      if (params.get('gap') !== 'true') {
        params.delete('gap');
        params.delete('engines');
      }
      document.getElementById('exports-unfiltered').hidden = params.toString() === '';
    }

    function setStatus(text) {
      document.getElementById('eta').textContent = text ? '\u00B7 ' + text : '';
    }

    function render(batch) {
      var c = batch.counts;
      var progress = document.getElementById('progress');
      progress.max = Math.max(c.unique, 1);
      progress.value = c.unique === 0 ? 1 : c.done;
      progress.textContent = c.percentDone + ' %';
      document.getElementById('count-done').textContent = formatNumber(c.done);
      document.getElementById('count-total').textContent = formatNumber(c.unique);
      document.getElementById('percent-done').textContent = c.percentDone;
      setStatus(batch.status !== 'done' ? eta(batch.etaSeconds) + toGo(batch.progress)
        : c.refreshing > 0 ? 'looking up ' + formatNumber(c.refreshing) + ' stale answers again'
        : 'all lookups done');
      VERDICT_ORDER.forEach(function (v) {
        var id = v === 'not_found' ? 'count-not-found' : v === 'error' ? 'count-errors' : 'count-' + v;
        document.getElementById(id).textContent = formatNumber(c[COUNT_FIELD[v]]);
      });
      Array.prototype.forEach.call(document.querySelectorAll('.counter'), function (button) {
        button.setAttribute('aria-pressed', String(button.dataset.verdict === state.verdict));
      });
      var gapItem = document.getElementById('gap-item');
      gapItem.hidden = c.gap === null || c.gap === undefined;
      document.getElementById('count-gap').textContent = gapItem.hidden ? '' : formatNumber(c.gap);
      document.getElementById('gap-counter').setAttribute('aria-pressed', String(state.gap === 'true'));
      drawChart(c);
      setEngines(batch.engines || []);
      renderRecheck(batch.recheck);
      renderRows(batch.items);
      renderPager(batch.matched);
      renderActiveFilters();
      updateExports();
      if (lastFacets) {
        renderFacets(lastFacets); // the chosen value marked, and links that keep the filters in force
      }
      askFacets(batch.status === 'done');
    }

    function showFilterError(message) {
      var box = document.getElementById('filter-error');
      if (!box) {
        box = el('p', 'error');
        box.id = 'filter-error';
        box.setAttribute('role', 'alert');
        document.getElementById('active-filters').before(box);
      }
      box.textContent = message;
      box.hidden = !message;
    }

    function updateExports() {
      var params = filterParams();
      ['csv', 'json'].forEach(function (format) {
        var p = new URLSearchParams(params);
        p.set('format', format);
        document.getElementById('export-' + format).href = api + '?' + p.toString();
      });
    }

    // The engine columns follow the engines the answer says were chosen; an unknown one is marked.
    function setEngines(list) {
      var same = list.length === engines.length && list.every(function (e, i) {
        return e.name === engines[i].name && e.known === engines[i].known;
      });
      if (same) {
        return;
      }
      engines = list;
      var headRow = document.querySelector('#items thead tr');
      Array.prototype.forEach.call(headRow.querySelectorAll('th[data-col=engine]'), function (th) { th.remove(); });
      var last = headRow.querySelector('th[data-col=vtUrl]');
      engines.forEach(function (e) {
        var th = el('th', 'engine' + (e.known ? '' : ' unknown'), e.name);
        th.scope = 'col';
        th.dataset.col = 'engine';
        th.dataset.engine = e.name;
        if (!e.known) {
          th.appendChild(el('span', 'unknown-engine', ' (in no answer)'));
          th.title = 'No stored answer names this engine: check its spelling';
        }
        headRow.insertBefore(th, last);
      });
      applyColumns();
    }

    function renderActiveFilters() {
      var box = document.getElementById('active-filters');
      box.replaceChildren();
      FILTERS.forEach(function (name) {
        if (!state[name] || name === 'engines') {
          return;
        }
        var chip = el('button', 'chip', name + ': ' + state[name] + ' \u2715');
        chip.type = 'button';
        chip.dataset.filter = name;
        chip.setAttribute('aria-label', 'Remove the filter ' + name + ' ' + state[name]);
        chip.addEventListener('click', function () {
          state[name] = '';
          if (name === 'minDetections') {
            minDetections.value = '';
          }
          if (name === 'gap') {
            gapBox.checked = false;
          }
          state.offset = 0;
          refreshNow();
        });
        box.appendChild(chip);
      });
    }

    // Facets are counted over the whole batch and shared for a few seconds: ask again at most every 10 s
    // while answers arrive, once when the batch is done.
    function askFacets(done) {
      var now = Date.now();
      if (facetsAskedAt && (now - facetsAskedAt < 10000 || (done && facetsAskedAt < 0))) {
        return;
      }
      facetsAskedAt = done ? -1 : now;
      fetch(api + '/facets', { headers: { 'Accept': 'application/json' }, cache: 'no-store' })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('status ' + response.status);
          }
          return response.json();
        })
        .then(renderFacets)
        .catch(function () {
          facetsAskedAt = 0;
        });
    }

    function renderFacets(facets) {
      lastFacets = facets;
      var section = document.getElementById('facets');
      var lists = document.getElementById('facet-lists');
      lists.replaceChildren();
      var any = false;
      Object.keys(FACET_TITLES).forEach(function (key) {
        var values = facets[key] || [];
        if (values.length === 0) {
          return;
        }
        any = true;
        var box = el('div', 'facet');
        box.dataset.facet = key;
        box.appendChild(el('h3', null, FACET_TITLES[key]));
        var list = el('ul');
        values.forEach(function (v) {
          var li = el('li');
          var param = FACET_FILTER[key];
          var link = el('a', null, v.value);
          var href = new URLSearchParams(filterParams());
          href.set(param, v.value);
          link.href = data.reportPath + '?' + href.toString();
          link.dataset.filter = param;
          link.dataset.value = v.value;
          if (state[param] === String(v.value)) {
            link.setAttribute('aria-current', 'true');
          }
          link.addEventListener('click', function (event) {
            event.preventDefault();
            state[param] = state[param] === String(v.value) ? '' : String(v.value);
            state.offset = 0;
            refreshNow();
          });
          li.appendChild(link);
          li.appendChild(el('span', 'muted', ' ' + formatNumber(v.count)));
          list.appendChild(li);
        });
        box.appendChild(list);
        lists.appendChild(box);
      });
      section.hidden = !any;
    }

    function setUpColumnChooser() {
      var list = document.getElementById('columns-list');
      COLUMNS.forEach(function (c) {
        var label = el('label', 'check');
        var box = el('input');
        box.type = 'checkbox';
        box.name = 'column';
        box.value = c.key;
        box.id = 'column-' + c.key;
        box.checked = !!columns[c.key];
        box.addEventListener('change', function () {
          columns[c.key] = box.checked;
          saveColumns(columns);
          applyColumns();
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(' ' + c.label));
        list.appendChild(label);
      });
      applyColumns();
    }

    function applyColumns() {
      Array.prototype.forEach.call(document.querySelectorAll('#items [data-col]'), function (cell) {
        var key = cell.dataset.col;
        cell.hidden = columns.hasOwnProperty(key) ? !columns[key] : false;
      });
    }

    function visibleColumns() {
      return document.querySelectorAll('#items thead th:not([hidden])').length;
    }

    function renderRecheck(recheck) {
      if (!recheck) {
        return;
      }
      var status = document.getElementById('recheck-status');
      status.textContent = recheck.running ? 'A re-check started ' + recheck.startedAt + ' is running.'
        : recheck.doneAt ? 'The last re-check, started ' + recheck.startedAt + ', changed ' + recheck.changed + ' items.'
        : 'Not re-checked yet.';
      document.getElementById('count-changed').textContent = formatNumber(recheck.changed);
      Object.keys(recheck.changes || {}).forEach(function (kind) {
        var n = document.getElementById('count-change-' + kind);
        if (n) {
          n.textContent = formatNumber(recheck.changes[kind]);
        }
      });
      document.getElementById('recheck-button').disabled = !!recheck.running;
      var estimate = document.getElementById('recheck-estimate');
      if (recheck.running) {
        estimate.textContent = 'Running: the answers come in as they are looked up.';
      } else if (recheckWasRunning) {
        refreshEstimate(estimate);
        detailsCache = {}; // the rows' histories have grown
      }
      recheckWasRunning = !!recheck.running;
      Array.prototype.forEach.call(document.querySelectorAll('.change-counter'), function (button) {
        button.setAttribute('aria-pressed', String(button.dataset.change === state.change));
      });
    }

    // The Notification API is asked for permission only after a click on the button.
    function setUpNotification() {
      var button = document.getElementById('notify-done');
      var status = document.getElementById('notify-status');
      if (!('Notification' in window) || data.status === 'done') {
        return;
      }
      button.hidden = false;
      button.addEventListener('click', function () {
        var asked = window.Notification.requestPermission();
        Promise.resolve(asked).then(function (permission) {
          if (permission === 'granted') {
            notifyWhenDone = true;
            button.hidden = true;
            status.textContent = 'This browser will tell you when the batch is done (keep this page open).';
          } else {
            status.textContent = 'Notifications are blocked in this browser.';
          }
        });
      });
    }

    function notifyIfDone(batch) {
      var pending = batch.status !== 'done';
      if (wasPending && !pending) {
        document.getElementById('notify-done').hidden = true;
        if (notifyWhenDone) {
          notifyWhenDone = false;
          var c = batch.counts;
          try {
            new window.Notification('VT Batch Search: batch done', {
              body: formatNumber(c.unique) + ' hashes: ' + formatNumber(c.malicious) + ' malicious, '
                + formatNumber(c.suspicious) + ' suspicious, ' + formatNumber(c.clean) + ' clean',
              tag: 'vtbatch-' + data.batchId
            });
          } catch (e) {
            // a browser that offers the API but refuses to show one here: nothing else to do
          }
        }
      }
      wasPending = pending;
    }

    // What a re-check would cost now, asked of the API (a POST that changes nothing, with the page's CSRF token).
    function refreshEstimate(target) {
      var csrf = document.querySelector('#recheck-form input[name=csrf]');
      var headers = { 'Accept': 'application/json' };
      if (csrf) {
        headers['X-CSRF-Token'] = csrf.value;
      }
      fetch(api + '/recheck?dryRun=true', { method: 'POST', headers: headers })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('status ' + response.status);
          }
          return response.json();
        })
        .then(function (e) {
          var when = e.doneAt ? new Date(e.doneAt) : null;
          target.textContent = formatNumber(e.lookups) + ' lookups'
            + (when ? ', done about ' + String(when.getUTCHours()).padStart(2, '0') + ':'
              + String(when.getUTCMinutes()).padStart(2, '0') + ' UTC (' + e.etaText + ')' : '')
            + '; other batches keep their turns.';
        })
        .catch(function () {
          target.textContent = '';
        });
    }

    function eta(seconds) {
      if (seconds === null || seconds === undefined) {
        return '';
      }
      var minutes = Math.ceil(seconds / 60);
      if (minutes <= 1) {
        return 'under a minute left';
      }
      if (minutes >= 48 * 60) {
        return 'about ' + Math.round(minutes / 1440) + ' days left';
      }
      return minutes < 60 ? 'about ' + minutes + ' min left'
        : 'about ' + Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min left';
    }

    // The lookups before this batch's last one: its own and the turns other batches take meanwhile.
    function toGo(progress) {
      if (!progress || !progress.lookupsToGo) {
        return '';
      }
      return ' (' + formatNumber(progress.lookupsToGo) + ' lookups to go, other batches\u2019 turns included)';
    }

    function drawChart(c) {
      var chart = document.getElementById('chart');
      var total = Math.max(c.unique, 1);
      var labelWidth = 130;
      var barMax = 170;
      chart.replaceChildren(svg('title', {}, 'Verdicts: ' + VERDICT_ORDER.map(function (v) {
        return VERDICT_TEXT[v] + ' ' + c[COUNT_FIELD[v]];
      }).join(', ')));
      VERDICT_ORDER.forEach(function (v, i) {
        var n = c[COUNT_FIELD[v]];
        var y = i * 25;
        var width = n === 0 ? 0 : Math.max(2, Math.round(barMax * n / total));
        chart.appendChild(svg('text', { x: 0, y: y + 16, 'class': 'chart-label' }, VERDICT_ICON[v] + ' ' + VERDICT_TEXT[v]));
        chart.appendChild(svg('rect', { x: labelWidth, y: y + 4, width: barMax, height: 16, 'class': 'track' }));
        chart.appendChild(svg('rect', { x: labelWidth, y: y + 4, width: width, height: 16, 'class': 'bar v-' + v }));
        chart.appendChild(svg('text', { x: labelWidth + barMax + 6, y: y + 16, 'class': 'chart-value' }, formatNumber(n)));
      });
    }

    function renderRows(items) {
      rows.replaceChildren();
      if (items.length === 0) {
        var empty = el('tr', 'empty');
        var cell = el('td', null, 'No rows match.');
        cell.colSpan = visibleColumns();
        empty.appendChild(cell);
        rows.appendChild(empty);
        return;
      }
      items.forEach(function (item) {
        rows.appendChild(row(item));
        if (expanded[item.hash]) {
          rows.appendChild(detailsRow(item));
        }
      });
    }

    function row(item) {
      var tr = el('tr', 'item v-' + item.verdict);
      tr.dataset.hash = item.hash;
      var firstCell = el('td', 'hash');
      if (item.status === 'done') {
        var toggle = el('button', 'expand');
        toggle.type = 'button';
        toggle.setAttribute('aria-expanded', String(!!expanded[item.hash]));
        toggle.setAttribute('aria-label', 'Engines and names of ' + item.hash);
        toggle.textContent = expanded[item.hash] ? '\u25BE' : '\u25B8';
        toggle.addEventListener('click', function () {
          expanded[item.hash] = !expanded[item.hash];
          if (expanded[item.hash]) {
            tr.after(detailsRow(item));
          } else if (tr.nextSibling && tr.nextSibling.classList.contains('details')) {
            tr.nextSibling.remove();
          }
          toggle.setAttribute('aria-expanded', String(!!expanded[item.hash]));
          toggle.textContent = expanded[item.hash] ? '\u25BE' : '\u25B8';
        });
        firstCell.appendChild(toggle);
      }
      var shortHash = hashCell(item.hash);
      while (shortHash.firstChild) {
        firstCell.appendChild(shortHash.firstChild);
      }
      firstCell.dataset.col = 'hash';
      tr.appendChild(firstCell);
      tr.appendChild(cell('type', el('td', null, { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256' }[item.type] || item.type)));
      var verdictCell = el('td');
      var badge = el('span', 'verdict v-' + item.verdict, VERDICT_TEXT[item.verdict] || item.verdict);
      if (item.error) {
        badge.title = item.error;
      }
      verdictCell.appendChild(badge);
      (item.change || []).forEach(function (kind) {
        var mark = el('span', 'change', kind.replace(/_/g, ' '));
        if (item.previous) {
          mark.title = 'before: ' + (VERDICT_TEXT[previousVerdict(item.previous)] || '')
            + (item.previous.malicious !== null ? ', ' + item.previous.malicious + ' engines' : '')
            + (item.previous.label ? ', ' + item.previous.label : '');
        }
        verdictCell.appendChild(mark);
      });
      if (item.stale) {
        verdictCell.appendChild(el('span', 'stale', item.refreshing ? 'stale, refreshing' : 'stale'));
      }
      tr.appendChild(cell('verdict', verdictCell));
      tr.appendChild(cell('detections', el('td', 'num', item.status === 'done' ? item.malicious + '/' + item.total : '')));
      tr.appendChild(cell('label', el('td', null, item.label)));
      tr.appendChild(cell('name', el('td', 'name', item.name)));
      tr.appendChild(cell('fileType', el('td', null, item.fileType)));
      tr.appendChild(cell('firstSeen', el('td', null, item.firstSeen ? item.firstSeen.slice(0, 10) : '')));
      tr.appendChild(cell('context', el('td', 'context', item.context)));
      tr.appendChild(cell('md5', hashCell(item.md5)));
      tr.appendChild(cell('sha1', hashCell(item.sha1)));
      tr.appendChild(cell('sha256', hashCell(item.sha256)));
      var size = cell('size', el('td', 'right', formatBytes(item.size)));
      if (item.size !== null && item.size !== undefined) {
        size.title = formatNumber(item.size) + ' bytes';
      }
      tr.appendChild(size);
      tr.appendChild(cell('timesSubmitted', el('td', 'right',
        item.timesSubmitted === null || item.timesSubmitted === undefined ? '' : formatNumber(item.timesSubmitted))));
      tr.appendChild(cell('lastAnalysis', el('td', 'age', withAge(item.lastAnalysis))));
      tr.appendChild(cell('family', el('td', null, item.family)));
      tr.appendChild(cell('category', el('td', null, item.category)));
      var signer = cell('signer', el('td', null, item.signer));
      if (item.signer && item.signerVerified !== null) {
        signer.appendChild(el('span', 'muted', item.signerVerified ? ' (verified)' : ' (not verified)'));
      }
      tr.appendChild(signer);
      tr.appendChild(cell('yaraRules', el('td', 'rules', (item.yaraRules || []).join(', '))));
      tr.appendChild(cell('tags', el('td', 'tags', (item.tags || []).join(', '))));
      engines.forEach(function (e) {
        var result = null;
        if (item.engines) {
          Object.keys(item.engines).forEach(function (k) {
            if (k.toLowerCase() === e.name.toLowerCase()) {
              result = item.engines[k];
            }
          });
        }
        var td = cell('engine', el('td', 'engine' + (result ? ' flagged' : ''),
          !item.engines ? '' : result ? result : '\u2013'));
        if (item.engines && !result) {
          td.title = e.name + ' did not flag it';
        }
        tr.appendChild(td);
      });
      if (item.gap) {
        tr.classList.add('gap');
      }
      var linkCell = cell('vtUrl', el('td'));
      var link = el('a', null, 'open');
      link.href = item.vtUrl;
      link.rel = 'noopener noreferrer';
      link.target = '_blank';
      linkCell.appendChild(link);
      tr.appendChild(linkCell);
      return tr;
    }

    function cell(key, td) {
      td.dataset.col = key;
      td.hidden = columns.hasOwnProperty(key) ? !columns[key] : false;
      return td;
    }

    function detailsRow(item) {
      var tr = el('tr', 'details');
      var td = el('td');
      td.colSpan = visibleColumns();
      tr.appendChild(td);
      var cached = detailsCache[item.hash];
      if (cached) {
        fillDetails(td, cached, item);
      } else {
        td.textContent = 'Loading\u2026';
        fetch(api + '/items/' + encodeURIComponent(item.hash), { headers: { 'Accept': 'application/json' } })
          .then(function (response) {
            if (!response.ok) {
              throw new Error('status ' + response.status);
            }
            return response.json();
          })
          .then(function (details) {
            detailsCache[item.hash] = details;
            fillDetails(td, details, item);
          })
          .catch(function () {
            td.textContent = 'The details could not be loaded.';
          });
      }
      return tr;
    }

    // Everything the answer told about the file, beyond the engines and names.
    function fileFacts(item) {
      var facts = el('div', 'facts');
      facts.appendChild(el('h3', null, 'File'));
      var dl = el('dl');
      function fact(term, value, node) {
        if ((value === null || value === undefined || value === '') && !node) {
          return;
        }
        dl.appendChild(el('dt', null, term));
        var dd = el('dd', null, node ? undefined : value);
        if (node) {
          dd.appendChild(node);
        }
        dl.appendChild(dd);
      }
      fact('MD5', item.md5);
      fact('SHA-1', item.sha1);
      fact('SHA-256', item.sha256);
      fact('Size', item.size === null || item.size === undefined ? null
        : formatBytes(item.size) + ' (' + formatNumber(item.size) + ' bytes)');
      fact('Submitted', item.timesSubmitted === null || item.timesSubmitted === undefined ? null
        : formatNumber(item.timesSubmitted) + ' times');
      fact('First seen', item.firstSeen ? item.firstSeen.slice(0, 10) : null);
      fact('Last analysis', item.lastAnalysis ? 'analysed ' + withAge(item.lastAnalysis) : null);
      fact('Family', item.family);
      fact('Category', item.category);
      fact('Signer', item.signer ? item.signer + (item.signerVerified === true ? ' (verified)'
        : item.signerVerified === false ? ' (not verified)' : '') : null);
      fact('YARA rules', item.yaraRules && item.yaraRules.length ? item.yaraRules.join(', ') : null);
      if (item.sigma) {
        fact('Sigma', Object.keys(item.sigma).map(function (k) { return k + ' ' + item.sigma[k]; }).join(', '));
      }
      if (item.sandboxVerdicts && item.sandboxVerdicts.length) {
        var ul = el('ul', 'sandboxes');
        item.sandboxVerdicts.forEach(function (v) {
          ul.appendChild(el('li', null, v.sandbox + ': ' + (v.category || '?')
            + (v.malwareNames && v.malwareNames.length ? ' (' + v.malwareNames.join(', ') + ')' : '')));
        });
        fact('Sandboxes', null, ul);
      }
      fact('Tags', item.tags && item.tags.length ? item.tags.join(', ') : null);
      if (item.engines) {
        fact('My engines', Object.keys(item.engines).map(function (k) {
          return k + ': ' + (item.engines[k] || 'not flagged');
        }).join('; ') + (item.gap ? ' \u2014 none of them flags it' : ''));
      }
      facts.appendChild(dl);
      return facts;
    }

    function previousVerdict(p) {
      if (p.status !== 'done' || p.malicious === null) {
        return 'not_found';
      }
      return p.malicious > 0 ? 'malicious' : p.suspicious > 0 ? 'suspicious' : 'clean';
    }

    function fillHistory(box, history) {
      var part = el('div', 'history');
      part.appendChild(el('h3', null, 'Earlier answers (' + history.length + ')'));
      if (history.length === 0) {
        part.appendChild(el('p', 'muted', 'None: this is the first answer.'));
      } else {
        var list = el('ol', 'history-list');
        history.forEach(function (h) {
          var li = el('li');
          li.appendChild(el('time', null, h.answeredAt.slice(0, 16).replace('T', ' ')));
          li.appendChild(el('span', 'verdict v-' + h.verdict, VERDICT_TEXT[h.verdict] || h.verdict));
          if (h.malicious !== null) {
            li.appendChild(el('span', 'num', ' ' + h.malicious + ' engines'));
          }
          if (h.label) {
            li.appendChild(el('span', null, ' \u00B7 ' + h.label));
          }
          if (h.family) {
            li.appendChild(el('span', 'muted', ' \u00B7 family ' + h.family));
          }
          list.appendChild(li);
        });
        part.appendChild(list);
      }
      box.appendChild(part);
    }

    function fillDetails(td, details, item) {
      td.replaceChildren();
      var box = el('div', 'details-box');
      var engines = el('div');
      engines.appendChild(el('h3', null, 'Engines that flagged it (' + details.engines.length + ')'));
      if (details.engines.length === 0) {
        engines.appendChild(el('p', 'muted', 'None.'));
      } else {
        var list = el('ul', 'engines');
        details.engines.forEach(function (e) {
          var li = el('li');
          li.appendChild(el('span', 'verdict v-' + e.category, e.category));
          li.appendChild(el('strong', null, ' ' + e.engine));
          if (e.result) {
            li.appendChild(el('span', null, ': ' + e.result));
          }
          list.appendChild(li);
        });
        engines.appendChild(list);
      }
      var names = el('div');
      names.appendChild(el('h3', null, 'Known names (' + details.names.length + ')'));
      if (details.names.length === 0) {
        names.appendChild(el('p', 'muted', 'None.'));
      } else {
        var nameList = el('ul', 'names');
        details.names.forEach(function (n) {
          nameList.appendChild(el('li', null, n));
        });
        names.appendChild(nameList);
      }
      box.appendChild(fileFacts(item));
      box.appendChild(engines);
      box.appendChild(names);
      fillHistory(box, details.history || []);
      td.appendChild(box);
    }

    function renderPager(matched) {
      var first = matched === 0 ? 0 : state.offset + 1;
      var last = Math.min(state.offset + state.limit, matched);
      caption.textContent = 'Rows ' + formatNumber(first) + '\u2013' + formatNumber(last) + ' of ' + formatNumber(matched)
        + (state.verdict || state.q || state.change
          || FILTERS.some(function (f) { return f !== 'engines' && state[f]; }) ? ' matching' : '');
      pager.replaceChildren();
      var prev = el('button', 'secondary', '\u2190 Previous');
      prev.type = 'button';
      prev.id = 'page-prev';
      prev.disabled = state.offset === 0;
      prev.addEventListener('click', function () {
        state.offset = Math.max(0, state.offset - state.limit);
        refreshNow();
      });
      var next = el('button', 'secondary', 'Next \u2192');
      next.type = 'button';
      next.id = 'page-next';
      next.disabled = state.offset + state.limit >= matched;
      next.addEventListener('click', function () {
        state.offset += state.limit;
        refreshNow();
      });
      var pages = Math.max(1, Math.ceil(matched / state.limit));
      var where = el('span', 'muted', 'Page ' + formatNumber(Math.floor(state.offset / state.limit) + 1)
        + ' of ' + formatNumber(pages));
      pager.appendChild(prev);
      pager.appendChild(where);
      pager.appendChild(next);
    }

    function setUpSortHeaders() {
      Array.prototype.forEach.call(document.querySelectorAll('#items th[data-sort]'), function (th) {
        var key = th.dataset.sort;
        var button = el('button', 'sort', th.textContent);
        button.type = 'button';
        button.addEventListener('click', function () {
          if (state.sort === key) {
            state.dir = state.dir === 'asc' ? 'desc' : 'asc';
          } else {
            state.sort = key;
            state.dir = key === 'detections' || key === 'firstSeen' ? 'desc' : 'asc';
          }
          state.offset = 0;
          markSorted();
          refreshNow();
        });
        th.replaceChildren(button);
      });
      markSorted();
    }

    function markSorted() {
      Array.prototype.forEach.call(document.querySelectorAll('#items th[data-sort]'), function (th) {
        var sorted = th.dataset.sort === state.sort;
        if (sorted) {
          th.setAttribute('aria-sort', state.dir === 'asc' ? 'ascending' : 'descending');
        } else {
          th.removeAttribute('aria-sort');
        }
      });
    }

    function setUpCopyLink() {
      var button = document.getElementById('copy-link');
      var status = document.getElementById('copy-status');
      var url = window.location.origin + data.reportPath;
      button.hidden = false;
      button.addEventListener('click', function () {
        copyText(url).then(function () {
          status.textContent = 'Link copied.';
        }, function () {
          status.textContent = url;
        });
      });
    }

    return { isFinished: function () { return finished; } };
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP pages have no clipboard API: select a temporary field and use the old command.
    return new Promise(function (resolve, reject) {
      var field = el('textarea');
      field.value = text;
      field.setAttribute('readonly', '');
      field.className = 'offscreen';
      document.body.appendChild(field);
      field.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (e) {
        ok = false;
      }
      field.remove();
      if (ok) {
        resolve();
      } else {
        reject(new Error('copy refused'));
      }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var upload = document.getElementById('upload');
    if (upload) {
      initUpload(upload);
    }
    var report = document.getElementById('report');
    if (report) {
      initReport(report);
    }
    Array.prototype.forEach.call(document.querySelectorAll('form.delete-report'), initDelete);
  });
}());
