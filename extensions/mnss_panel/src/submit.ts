/**
 * 提交作业 / Submit: a notebook toolbar button on the notebooks of a fetched assignment
 * (<course>/<assignment>/NAME.ipynb). It saves the notebook and asks this server to hand the
 * assignment in through the course exchange (POST mnss/panel/submit), then says what happened in
 * the learner's language. Learners need no nbgrader page, whose texts are English only.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification, ToolbarButton } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator } from '@jupyterlab/translation';

import { Lang, langOf, text } from './i18n';

const ID = '[a-z][a-z0-9-]{1,39}';
const ASSIGNMENT_NOTEBOOK = new RegExp(`(^|/)(${ID})/(${ID})/[^/]+\\.ipynb$`);

/** Whether a notebook path lies inside a fetched assignment (a tutorial copy does not). */
export function isAssignmentNotebook(path: string): boolean {
  const found = ASSIGNMENT_NOTEBOOK.exec(path);
  return found !== null && found[3] !== 'tutorials';
}

/** Settles when the notebook's save in progress (if any) has ended, so a Submit pressed right
 * after Ctrl+S does not start a second save that would find its own first write on disk and ask
 * "File Changed: overwrite or revert?". */
function saveSettled(panel: NotebookPanel): () => Promise<void> {
  let settled = Promise.resolve();
  panel.context.saveState.connect((_, state) => {
    if (state === 'started') {
      settled = new Promise<void>(resolve => {
        const ended = (__: unknown, now: DocumentRegistry.SaveState) => {
          if (now !== 'started') {
            panel.context.saveState.disconnect(ended);
            resolve();
          }
        };
        panel.context.saveState.connect(ended);
      });
    }
  });
  return () => settled;
}

async function submit(panel: NotebookPanel, lang: Lang, saved: () => Promise<void>): Promise<void> {
  const words = text[lang];
  await saved();
  if (panel.context.model.dirty) {
    await panel.context.save();
  }
  const settings = ServerConnection.makeSettings();
  let body: any = {};
  let ok = false;
  try {
    const response = await ServerConnection.makeRequest(
      URLExt.join(settings.baseUrl, 'mnss/panel/submit'),
      { method: 'POST', body: JSON.stringify({ path: panel.context.path }) },
      settings
    );
    ok = response.ok;
    body = await response.json().catch(() => ({}));
  } catch (err) {
    body = { error: { zh: words.serverDown, en: words.serverDown } };
  }
  const said = ok ? body.message : body.error;
  const line = said ? (lang === 'zh' ? said.zh : said.en) : words.failed;
  if (ok) {
    Notification.success(line, { autoClose: 8000 });
  } else {
    Notification.error(line, { autoClose: false });
  }
}

export const submitPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mnss-panel:submit',
  description: 'A Submit button on the notebooks of fetched assignments, in the learner language.',
  autoStart: true,
  requires: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator) => {
    const lang = langOf(translator.languageCode);
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const saved = saveSettled(panel);
        const button = new ToolbarButton({
          className: 'mnss-submit',
          label: text[lang].submit,
          tooltip: text[lang].submitTip,
          onClick: () => void submit(panel, lang, saved)
        });
        void panel.context.ready.then(() => {
          if (isAssignmentNotebook(panel.context.path)) {
            panel.toolbar.insertItem(10, 'mnss-submit', button);
          }
        });
        return button;
      }
    });
  }
};
