/**
 * A notebook the platform wrote to open something ready (a research card, an uploaded topology,
 * the Topology lab card) carries metadata mnss.autorun: it is run once when it opens, so the
 * canvas is there without a click, and the flag is then removed and the notebook saved (opening
 * it again later does not run it again).
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

async function kernelIdle(panel: NotebookPanel): Promise<boolean> {
  const session = panel.sessionContext;
  await session.ready;
  const kernel = session.session?.kernel;
  if (!kernel) {
    return false;
  }
  if (kernel.status !== 'idle') {
    await new Promise<void>(resolve => {
      const seen = (_: unknown, status: string) => {
        if (status === 'idle') {
          kernel.statusChanged.disconnect(seen);
          resolve();
        }
      };
      kernel.statusChanged.connect(seen);
    });
  }
  await kernel.info; // the kernel has answered once: the first execution is not lost
  return true;
}

async function runOnce(panel: NotebookPanel): Promise<void> {
  await panel.context.ready;
  const model = panel.context.model;
  const mnss = (model.getMetadata('mnss') as Record<string, unknown> | undefined) || {};
  if (!mnss['autorun'] || !(await kernelIdle(panel))) {
    return;
  }
  const rest = { ...mnss };
  delete rest['autorun'];
  model.setMetadata('mnss', rest);
  await NotebookActions.runAll(panel.content, panel.sessionContext);
  await panel.context.save();
}

export const autorunPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mnss-panel:autorun',
  description: 'Run a notebook the platform prepared (metadata mnss.autorun) once when it opens.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    tracker.widgetAdded.connect((_, panel) => {
      void runOnce(panel).catch(err => console.warn('mnss autorun:', err));
    });
  }
};
