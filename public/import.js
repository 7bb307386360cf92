// The customer import page: preview the file, map its columns, upload it and follow the progress.
(() => {
  const form = document.getElementById('import');
  const input = document.getElementById('import-file');
  const preview = document.getElementById('import-preview');
  const table = document.getElementById('import-columns');
  const progress = document.getElementById('import-progress');
  const bar = document.getElementById('import-bar');
  const status = document.getElementById('import-status');
  const FIELDS = ['id', 'email', 'name', 'locale', 'timezone'];
  const PREVIEW_ROWS = 5;

  /** The first records of a CSV text (quotes and line breaks inside quotes handled). */
  function firstRecords(text, count) {
    const records = [];
    let record = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < text.length && records.length < count; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        record.push(cell);
        cell = '';
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && text[i + 1] === '\n') i++;
        record.push(cell);
        records.push(record);
        record = [];
        cell = '';
      } else cell += ch;
    }
    if ((cell || record.length) && records.length < count) records.push([...record, cell]);
    return records;
  }

  function defaultTarget(name) {
    const lower = name.trim().toLowerCase();
    if (FIELDS.includes(lower)) return lower;
    return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name.trim()) ? `attributes.${name.trim()}` : 'ignore';
  }

  function cellRow(tag, values) {
    const tr = document.createElement('tr');
    for (const value of values) {
      const td = document.createElement(tag);
      if (tag === 'th') td.scope = 'col';
      td.textContent = value;
      tr.append(td);
    }
    return tr;
  }

  function mappingRow(header) {
    const tr = document.createElement('tr');
    header.forEach((name, i) => {
      const td = document.createElement('td');
      const select = document.createElement('select');
      select.name = `column-${i}`;
      select.dataset.column = name;
      select.setAttribute('aria-label', `Column ${name} goes to`);
      const attribute = /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name.trim()) ? `attributes.${name.trim()}` : null;
      for (const target of [...FIELDS, ...(attribute ? [attribute] : []), 'ignore']) {
        const option = document.createElement('option');
        option.value = target;
        option.textContent = target.startsWith('attributes.') ? `attribute ${target.slice(11)}` : target;
        select.append(option);
      }
      select.value = defaultTarget(name);
      td.append(select);
      tr.append(td);
    });
    return tr;
  }

  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    const records = firstRecords(await file.slice(0, 256 * 1024).text(), PREVIEW_ROWS + 1);
    table.replaceChildren();
    if (!records.length) {
      preview.hidden = true;
      return;
    }
    const [header, ...rows] = records;
    const head = document.createElement('thead');
    head.append(cellRow('th', header), mappingRow(header));
    const body = document.createElement('tbody');
    for (const row of rows) body.append(cellRow('td', row));
    table.append(head, body);
    preview.hidden = false;
  });

  function show(job, done) {
    const counts = `${job.rows} rows: ${job.created} created, ${job.updated} updated, ${job.unchanged} unchanged, ${job.failed} refused`;
    status.replaceChildren(done ? `Import finished. ${counts}.` : `Importing… ${counts}.`);
    if (done && job.failed > 0) {
      const link = document.createElement('a');
      link.href = `/admin/imports/${job.id}/errors.csv`;
      link.textContent = 'Download the refused rows (CSV)';
      status.append(' ', link);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) return;
    const map = {};
    for (const select of table.querySelectorAll('select')) map[select.dataset.column] = select.value;
    const importId = crypto.randomUUID();
    // Roughly one row per line: enough to size the bar; it is filled when the import ends.
    const estimate = Math.max(1, (await file.text()).split('\n').filter((line) => line.trim()).length - 1);
    bar.max = estimate;
    bar.value = 0;
    progress.hidden = false;
    form.querySelector('button[type=submit]').disabled = true;
    const finish = (job) => {
      form.querySelector('button[type=submit]').disabled = false;
      bar.max = Math.max(1, job.rows);
      bar.value = job.rows;
      if (job.status === 'failed') status.replaceChildren(`The file was not imported: ${job.error}`);
      else show(job, true);
    };
    // The server answers once it has the file; the rows are imported while this page follows them.
    const res = await fetch(
      `/admin/customers/import?importId=${importId}&map=${encodeURIComponent(JSON.stringify(map))}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'text/csv',
          'x-csrf-token': form.dataset.csrf,
          accept: 'application/json',
          prefer: 'respond-async',
        },
        body: file,
      },
    );
    const body = await res.json().catch(() => ({ error: `the import failed (${res.status})` }));
    if (!res.ok) {
      finish({ rows: 0, status: 'failed', error: body.error });
      return;
    }
    const poll = async () => {
      const res = await fetch(`/admin/imports/${importId}`, { headers: { accept: 'application/json' } }).catch(
        () => undefined,
      );
      const job = res?.ok ? await res.json() : undefined;
      if (job && job.status !== 'running') return finish(job);
      if (job) {
        bar.value = Math.min(job.rows, estimate);
        show(job, false);
      }
      setTimeout(poll, 500);
    };
    await poll();
  });
})();
