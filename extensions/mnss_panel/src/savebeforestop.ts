/**
 * Save before the server stops. Whoever stops a server (the learner, an admin, the idle culler),
 * the hub first asks it to have its open pages save (extensions/mnss_activity/save_open.py). The
 * request comes over this socket, and the page answers over it with every modified document; the
 * server saves them (the hub has already taken the server off the proxy, so the contents API
 * cannot be reached from here any more) and says what it saved, which the learner is shown.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { DocumentWidget } from '@jupyterlab/docregistry';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator } from '@jupyterlab/translation';

import { Lang, langOf, text } from './i18n';

interface Document {
  path: string;
  type: 'notebook' | 'file';
  content: unknown;
}

/** The modified notebooks and text files open in the main area, as the contents API saves them. */
function modifiedDocuments(app: JupyterFrontEnd): { documents: Document[]; failed: string[] } {
  const documents: Document[] = [];
  const failed: string[] = [];
  for (const widget of app.shell.widgets('main')) {
    if (!(widget instanceof DocumentWidget)) {
      continue;
    }
    const context = widget.context;
    if (!context.isReady || !context.model.dirty || context.model.readOnly) {
      continue;
    }
    const type = context.contentsModel?.type;
    if (type === 'notebook') {
      documents.push({ path: context.path, type, content: context.model.toJSON() });
    } else if (type === 'file' && context.contentsModel?.format === 'text') {
      documents.push({ path: context.path, type, content: context.model.toString() });
    } else {
      failed.push(context.path);
    }
  }
  return { documents, failed };
}

function markSaved(app: JupyterFrontEnd, saved: string[]): void {
  for (const widget of app.shell.widgets('main')) {
    if (widget instanceof DocumentWidget && saved.includes(widget.context.path)) {
      widget.context.model.dirty = false;
    }
  }
}

function listen(app: JupyterFrontEnd, lang: Lang, retry = 1000): void {
  const settings = ServerConnection.makeSettings();
  let url = URLExt.join(settings.wsUrl, 'mnss/save-open/ws');
  if (settings.token) {
    url += `?token=${encodeURIComponent(settings.token)}`;
  }
  const socket = new settings.WebSocket(url);
  socket.onopen = () => {
    retry = 1000;
  };
  socket.onmessage = (event: MessageEvent) => {
    const message = JSON.parse(String(event.data));
    if (message.type === 'save') {
      socket.send(JSON.stringify({ type: 'documents', id: message.id, ...modifiedDocuments(app) }));
    } else if (message.type === 'stored') {
      markSaved(app, message.saved);
      Notification.warning(text[lang].stopping(message.saved.length), { autoClose: false });
    }
  };
  socket.onclose = () => {
    // the server restarted or the network blinked: connect again, less often the longer it lasts
    window.setTimeout(() => listen(app, lang, Math.min(retry * 2, 30000)), retry);
  };
}

export const saveBeforeStopPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mnss-panel:save-before-stop',
  description: 'Save modified documents when the hub is about to stop this server.',
  autoStart: true,
  requires: [ITranslator],
  activate: (app: JupyterFrontEnd, translator: ITranslator) => {
    const lang = langOf(translator.languageCode);
    void app.restored.then(() => listen(app, lang));
  }
};
