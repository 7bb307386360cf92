// Keeps a campaign's progress current while it runs; the page works without it (reload to update).
(() => {
  const card = document.getElementById('campaign-progress');
  if (!card) return;
  const bar = document.getElementById('campaign-bar');
  const ended = (status) => status === 'completed' || status === 'cancelled';
  const show = (progress) => {
    bar.max = Math.max(progress.total, 1);
    bar.value = progress.decided;
    for (const cell of card.querySelectorAll('[data-field]')) {
      const field = cell.dataset.field;
      cell.textContent = field === 'skipped' ? String(progress.skippedTotal) : String(progress[field]);
    }
  };
  const poll = async () => {
    try {
      const response = await fetch(card.dataset.progressUrl, { headers: { accept: 'application/json' } });
      if (response.ok) {
        const { progress } = await response.json();
        show(progress);
        // The buttons that apply change with the status: reload once it settles.
        if (progress.status !== card.querySelector('[data-field="status"]').dataset.initial && ended(progress.status))
          return window.location.reload();
      }
    } catch {
      // A network blip: try again at the next tick.
    }
    setTimeout(poll, 1500);
  };
  const status = card.querySelector('[data-field="status"]');
  status.dataset.initial = status.textContent;
  if (!ended(status.textContent)) setTimeout(poll, 1500);
})();
