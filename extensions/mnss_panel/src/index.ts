/**
 * "My courses / Next up" (我的课程 / 下一步): a JupyterLab sidebar for learners.
 *
 * Everything it shows comes from the learner's own Jupyter server (GET mnss/panel), which asks
 * the recommender service with the server's hub token: the page never holds a token and never
 * names a learner, so it cannot ask for anyone else's recommendations. One click fetches a
 * released assignment through the course exchange (POST mnss/panel/open) and opens its notebook;
 * an unreleased one, or one of a course the learner is not in, is only shown as such.
 */
import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator } from '@jupyterlab/translation';
import { LabIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { autorunPlugin } from './autorun';
import { saveBeforeStopPlugin } from './savebeforestop';
import { submitPlugin } from './submit';
import { Lang, Summary, langOf, pick, text } from './i18n';
import { launcherPlugin } from './launcher';
import { nbgraderWordsPlugin } from './nbgraderwords';

const ICON = new LabIcon({
  name: 'mnss-panel:courses',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" ' +
    'd="M12 3 1 9l11 6 9-4.9V17h2V9L12 3zm-7 9.2v4L12 20l7-3.8v-4L12 16l-7-3.8z"/></svg>'
});

class ServerError extends Error {
  constructor(readonly zh: string, readonly en: string) {
    super(en);
  }
}

/** Call the panel API of this server; a refusal comes back as a bilingual ServerError. */
async function call(path: string, init: RequestInit = {}): Promise<any> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'mnss/panel', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (err) {
    throw new ServerError(text.zh.serverDown, text.en.serverDown);
  }
  let body: any = {};
  try {
    body = await response.json();
  } catch (err) {
    body = {};
  }
  if (!response.ok) {
    const e = body.error || {};
    throw new ServerError(
      e.zh || `${text.zh.failed} (HTTP ${response.status})`,
      e.en || `${text.en.failed} (HTTP ${response.status})`
    );
  }
  return body;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  content?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (content !== undefined) {
    node.textContent = content;
  }
  return node;
}

export class CoursesPanel extends Widget {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly lang: Lang
  ) {
    super();
    this.id = 'mnss-courses-panel';
    this.addClass('mnss-panel');
    this.node.lang = lang === 'zh' ? 'zh-CN' : 'en';
    this.title.icon = ICON;
    this.title.caption = text[lang].title;
  }

  private get t() {
    return text[this.lang];
  }

  async refresh(): Promise<void> {
    this.render(null, this.t.loading);
    try {
      this.render(await call(''), null);
    } catch (err) {
      const e = err as ServerError;
      this.render(null, this.lang === 'zh' ? e.zh : e.en, true);
    }
  }

  private render(summary: Summary | null, message: string | null, isError = false): void {
    const t = this.t;
    const node = this.node;
    node.replaceChildren();
    const head = el('div', 'mnss-panel-head');
    head.append(el('h2', 'mnss-panel-title', t.title));
    const reload = el('button', 'mnss-panel-reload jp-Button');
    reload.append(refreshIcon.element({ tag: 'span' }));
    reload.title = t.reload;
    reload.setAttribute('aria-label', t.reload);
    reload.onclick = () => void this.refresh();
    head.append(reload);
    node.append(head);
    if (message) {
      node.append(el('p', isError ? 'mnss-panel-error' : 'mnss-panel-note', message));
    }
    if (!summary) {
      return;
    }
    node.append(el('h3', 'mnss-panel-section', t.courses));
    if (!summary.courses.length) {
      node.append(el('p', 'mnss-panel-note', t.noCourses));
    }
    for (const course of summary.courses) {
      const row = el('div', 'mnss-course');
      row.dataset.course = course.id;
      const top = el('div', 'mnss-course-top');
      top.append(el('span', 'mnss-course-title', pick(course, 'title', this.lang)));
      top.append(el('span', 'mnss-course-count', t.progress(course.done, course.total)));
      row.append(top);
      const bar = el('div', 'mnss-course-bar');
      const fill = el('div', 'mnss-course-fill');
      fill.style.width = `${course.total ? Math.round((100 * course.done) / course.total) : 0}%`;
      bar.append(fill);
      row.append(bar);
      node.append(row);
    }
    node.append(el('h3', 'mnss-panel-section', t.nextUp));
    if (summary.recommendations_error) {
      const e = summary.recommendations_error;
      node.append(el('p', 'mnss-panel-error', this.lang === 'zh' ? e.zh : e.en));
    } else if (!summary.recommendations.length) {
      node.append(el('p', 'mnss-panel-note', t.noRecommendations));
    }
    if (summary.exchange_error) {
      const e = summary.exchange_error;
      node.append(el('p', 'mnss-panel-note', this.lang === 'zh' ? e.zh : e.en));
    }
    for (const rec of summary.recommendations) {
      const card = el('div', 'mnss-rec');
      card.dataset.item = rec.item;
      card.append(el('div', 'mnss-rec-title', pick(rec, 'title', this.lang)));
      card.append(el('div', 'mnss-rec-reason', pick(rec, 'reason', this.lang)));
      const label = rec.local_path ? t.open : rec.enrolled && rec.released ? t.fetchOpen : null;
      if (label) {
        const button = el('button', 'mnss-rec-open jp-Button', label);
        button.onclick = () => void this.open(rec.item, card, button);
        card.append(button);
      } else if (!rec.enrolled || rec.enrol_first) {
        card.append(el('div', 'mnss-panel-note mnss-rec-enrol-first', t.enrolFirst));
      } else {
        card.append(el('div', 'mnss-panel-note mnss-rec-unreleased', t.notReleased));
      }
      node.append(card);
    }
  }

  /** Fetch (if needed) and open the item's notebook; errors stay next to the button. */
  private async open(item: string, card: HTMLElement, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    card.querySelector('.mnss-panel-error')?.remove();
    try {
      const result = await call('open', { method: 'POST', body: JSON.stringify({ item }) });
      await this.app.commands.execute('docmanager:open', { path: result.path });
      button.textContent = this.t.open;
    } catch (err) {
      const e = err as ServerError;
      card.append(el('p', 'mnss-panel-error', this.lang === 'zh' ? e.zh : e.en));
    } finally {
      button.disabled = false;
    }
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mnss-panel:plugin',
  description: 'My courses / Next up: enrolled courses with progress and recommended notebooks.',
  autoStart: true,
  requires: [ITranslator],
  optional: [ILabShell],
  activate: (app: JupyterFrontEnd, translator: ITranslator) => {
    const lang: Lang = langOf(translator.languageCode);
    const panel = new CoursesPanel(app, lang);
    app.shell.add(panel, 'right', { rank: 50 });
    void app.restored.then(() => panel.refresh());
  }
};

export default [plugin, launcherPlugin, autorunPlugin, saveBeforeStopPlugin, submitPlugin, nbgraderWordsPlugin];
