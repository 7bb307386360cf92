// The survey builder: edits the survey's questions (add, edit, reorder, remove; follow-up rules
// and prefill) and keeps the survey JSON below it in step, which is what the form submits and the
// server validates. Without JavaScript the JSON alone is edited.
(() => {
  const builder = document.getElementById('survey-builder');
  const source = document.getElementById('program-survey');
  if (!builder || !source) return;
  const types = builder.dataset.questionTypes.trim().split(/\s+/);
  const CHOICES = new Set(['single', 'multiple']);
  let survey;

  const el = (tag, props = {}, children = []) => {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  };
  const field = (id, labelText, input) => {
    input.id = id;
    return el('div', { className: 'builder-field' }, [el('label', { htmlFor: id, textContent: labelText }), input]);
  };
  const save = () => {
    source.value = JSON.stringify(survey, null, 2);
  };
  const update = (mutate, rerender = false) => {
    mutate();
    save();
    if (rerender) render();
  };
  const list = (text) =>
    text
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);

  function labelInputs(question, i) {
    if (typeof question.label === 'string' || question.label === undefined) {
      const input = el('input', { value: question.label ?? '', maxLength: 1000 });
      input.addEventListener('input', () => update(() => (question.label = input.value)));
      return [field(`q${i}-label`, `Question ${i + 1} text`, input)];
    }
    return Object.keys(question.label).map((locale) => {
      const input = el('input', { value: question.label[locale], maxLength: 1000 });
      input.addEventListener('input', () => update(() => (question.label[locale] = input.value)));
      return field(`q${i}-label-${locale}`, `Question ${i + 1} text (${locale})`, input);
    });
  }

  function optionsInput(question, i) {
    const plain = (question.options ?? []).every((o) => typeof o.label === 'string');
    if (!plain)
      return [el('p', { className: 'muted', textContent: 'Options in several locales: edit them in the JSON.' })];
    const text = (question.options ?? []).map((o) => `${o.value} | ${o.label}`).join('\n');
    const input = el('textarea', { value: text, rows: 3 });
    input.addEventListener('input', () =>
      update(() => {
        question.options = input.value
          .split('\n')
          .map((line) => line.split('|').map((part) => part.trim()))
          .filter(([value]) => value)
          .map(([value, label]) => ({ value, label: label || value }));
      }),
    );
    return [field(`q${i}-options`, `Question ${i + 1} options, one per line: value | label`, input)];
  }

  function scaleInputs(question, i) {
    const scale = question.scale ?? { min: 1, max: 5 };
    return ['min', 'max'].map((end) => {
      const input = el('input', { type: 'number', value: String(scale[end]) });
      input.addEventListener('input', () =>
        update(() => (question.scale = { ...(question.scale ?? scale), [end]: Number(input.value) })),
      );
      return field(`q${i}-scale-${end}`, `Question ${i + 1} scale ${end}`, input);
    });
  }

  /** "Show only when": an earlier question and the answers that call for this one. */
  function followUpInputs(question, i) {
    const earlier = survey.questions.slice(0, i).map((q) => q.id);
    const when = el('select', {}, [el('option', { value: '', textContent: 'always' })]);
    for (const id of earlier)
      when.append(el('option', { value: id, textContent: `after ${id}`, selected: question.showIf?.question === id }));
    when.addEventListener('change', () =>
      update(() => {
        if (when.value) question.showIf = { ...(question.showIf ?? {}), question: when.value };
        else delete question.showIf;
      }, true),
    );
    const fields = [field(`q${i}-show-if`, `Question ${i + 1} shown`, when)];
    if (!question.showIf) return fields;
    const rule = question.showIf;
    for (const category of ['detractor', 'passive', 'promoter']) {
      const box = el('input', { type: 'checkbox', checked: (rule.npsCategory ?? []).includes(category) });
      box.id = `q${i}-nps-${category}`;
      box.addEventListener('change', () =>
        update(() => {
          const chosen = new Set(rule.npsCategory ?? []);
          if (box.checked) chosen.add(category);
          else chosen.delete(category);
          if (chosen.size) rule.npsCategory = [...chosen];
          else delete rule.npsCategory;
        }),
      );
      fields.push(el('label', { className: 'inline', htmlFor: box.id }, [box, ` ${category}s`]));
    }
    for (const end of ['min', 'max']) {
      const input = el('input', { type: 'number', value: rule[end] ?? '' });
      input.addEventListener('input', () =>
        update(() => {
          if (input.value === '') delete rule[end];
          else rule[end] = Number(input.value);
        }),
      );
      fields.push(
        field(
          `q${i}-show-${end}`,
          `Question ${i + 1}: when the answer is at ${end === 'min' ? 'least' : 'most'}`,
          input,
        ),
      );
    }
    const anyOf = el('input', { value: (rule.anyOf ?? []).join(', ') });
    anyOf.addEventListener('input', () =>
      update(() => {
        const values = list(anyOf.value);
        if (values.length) rule.anyOf = values;
        else delete rule.anyOf;
      }),
    );
    fields.push(field(`q${i}-show-any-of`, `Question ${i + 1}: when the choice is one of (comma-separated)`, anyOf));
    return fields;
  }

  function questionCard(question, i) {
    const id = el('input', { value: question.id, maxLength: 64 });
    // Renamed in place (a re-render would take the focus from the field the user moves to).
    id.addEventListener('change', () =>
      update(() => {
        const [before, after] = [question.id, id.value.trim()];
        question.id = after;
        for (const later of survey.questions) if (later.showIf?.question === before) later.showIf.question = after;
        refreshFollowUpChoices();
      }),
    );
    const type = el(
      'select',
      {},
      types.map((t) => el('option', { value: t, textContent: t, selected: t === question.type })),
    );
    type.addEventListener('change', () =>
      update(() => {
        question.type = type.value;
        if (!CHOICES.has(type.value)) delete question.options;
        if (type.value !== 'rating') delete question.scale;
      }, true),
    );
    const required = el('input', { type: 'checkbox', checked: Boolean(question.required) });
    required.id = `q${i}-required`;
    required.addEventListener('change', () => update(() => (question.required = required.checked)));
    const knownAs = el('input', { value: question.knownAs ?? '', maxLength: 64 });
    knownAs.addEventListener('input', () =>
      update(() => {
        if (knownAs.value.trim()) question.knownAs = knownAs.value.trim();
        else delete question.knownAs;
      }),
    );
    const move = (offset, text) => {
      const button = el('button', { type: 'button', className: 'secondary', textContent: text });
      const target = i + offset;
      button.disabled = target < 0 || target >= survey.questions.length;
      button.addEventListener('click', () =>
        update(() => {
          const [moved] = survey.questions.splice(i, 1);
          survey.questions.splice(target, 0, moved);
        }, true),
      );
      return button;
    };
    const remove = el('button', { type: 'button', className: 'danger', textContent: `Remove question ${i + 1}` });
    remove.addEventListener('click', () => update(() => survey.questions.splice(i, 1), true));
    return el('div', { className: 'card question' }, [
      el('h3', { textContent: `Question ${i + 1}` }),
      field(`q${i}-id`, `Question ${i + 1} ID`, id),
      field(`q${i}-type`, `Question ${i + 1} type`, type),
      el('label', { className: 'inline', htmlFor: required.id }, [required, ' required']),
      ...labelInputs(question, i),
      ...(CHOICES.has(question.type) ? optionsInput(question, i) : []),
      ...(question.type === 'rating' ? scaleInputs(question, i) : []),
      ...followUpInputs(question, i),
      field(`q${i}-known-as`, `Question ${i + 1}: prefill from customer attribute (optional)`, knownAs),
      el('div', { className: 'actions' }, [move(-1, 'Move up'), move(1, 'Move down'), remove]),
    ]);
  }

  /** Each "shown" list offers the questions before it, by their current IDs. */
  function refreshFollowUpChoices() {
    survey.questions.forEach((question, i) => {
      const select = document.getElementById(`q${i}-show-if`);
      if (!select) return;
      select.replaceChildren(
        el('option', { value: '', textContent: 'always' }),
        ...survey.questions
          .slice(0, i)
          .map((q) =>
            el('option', { value: q.id, textContent: `after ${q.id}`, selected: question.showIf?.question === q.id }),
          ),
      );
    });
  }

  function render() {
    builder.replaceChildren(
      ...survey.questions.map(questionCard),
      (() => {
        const add = el('button', { type: 'button', className: 'secondary', textContent: 'Add question' });
        add.addEventListener('click', () =>
          update(() => {
            const taken = new Set(survey.questions.map((q) => q.id));
            let n = survey.questions.length + 1;
            while (taken.has(`q${n}`)) n++;
            survey.questions.push({ id: `q${n}`, type: 'text', required: false, label: '' });
          }, true),
        );
        return add;
      })(),
    );
  }

  function load() {
    try {
      survey = JSON.parse(source.value || '{"questions": []}');
      if (!Array.isArray(survey.questions)) throw new Error('no questions');
    } catch {
      builder.hidden = true;
      return;
    }
    builder.hidden = false;
    render();
  }
  source.addEventListener('change', load);
  load();
})();
