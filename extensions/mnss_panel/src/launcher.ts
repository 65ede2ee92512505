/**
 * Launcher cards: "拓扑实验 / Topology lab" (a new notebook whose one cell opens the topology
 * canvas, run as soon as it opens) and "课程 / Courses" (the hub's portal, in a new tab).
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { Lang, langOf } from './i18n';

const TOPOLOGY_ICON = new LabIcon({
  name: 'mnss-panel:topology',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="52"><g class="jp-icon3" fill="#616161">' +
    '<circle cx="12" cy="4" r="2.5"/><circle cx="4" cy="19" r="2.5"/><circle cx="12" cy="19" r="2.5"/>' +
    '<circle cx="20" cy="19" r="2.5"/><path d="M11.3 6h1.4v11h-1.4zM11 5.6l1 .9-7 11.6-1.2-.7zM13 5.6l-1 .9 7 ' +
    '11.6 1.2-.7z"/></g></svg>'
});

const COURSES_ICON = new LabIcon({
  name: 'mnss-panel:portal',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="52"><path class="jp-icon3" fill="#616161" ' +
    'd="M12 3 1 9l11 6 9-4.9V17h2V9L12 3zm-7 9.2v4L12 20l7-3.8v-4L12 16l-7-3.8z"/></svg>'
});

export const words = {
  zh: { category: 'MNSS 实验室', topology: '拓扑实验', courses: '课程', untitled: '拓扑实验' },
  en: { category: 'MNSS Lab', topology: 'Topology lab', courses: 'Courses', untitled: 'Topology lab' }
};

/** The notebook the Topology lab card creates: the canvas, run once on opening (see autorun.ts). */
export function canvasNotebook(lang: Lang): any {
  return {
    cells: [
      {
        cell_type: 'code',
        execution_count: null,
        metadata: {},
        outputs: [],
        source: 'from mnss_kernel.canvas import TopologyCanvas\n\ncanvas = TopologyCanvas()\ncanvas'
      }
    ],
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
      mnss: { autorun: true }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

export const launcherPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mnss-panel:launcher',
  description: 'Launcher cards: Topology lab (a notebook with the canvas) and Courses (the portal).',
  autoStart: true,
  requires: [ITranslator],
  optional: [ILauncher],
  activate: (app: JupyterFrontEnd, translator: ITranslator, launcher: ILauncher | null) => {
    const lang: Lang = langOf(translator.languageCode);
    const w = words[lang];
    app.commands.addCommand('mnss:topology-lab', {
      label: w.topology,
      caption: w.topology,
      icon: args => (args['isPalette'] ? undefined : TOPOLOGY_ICON),
      execute: async args => {
        const cwd = (args['cwd'] as string) || '';
        const contents = app.serviceManager.contents;
        const model = await contents.newUntitled({ path: cwd, type: 'notebook' });
        await contents.save(model.path, { type: 'notebook', format: 'json', content: canvasNotebook(lang) });
        return app.commands.execute('docmanager:open', { path: model.path, factory: 'Notebook' });
      }
    });
    app.commands.addCommand('mnss:courses', {
      label: w.courses,
      caption: w.courses,
      icon: args => (args['isPalette'] ? undefined : COURSES_ICON),
      execute: () => {
        window.open(URLExt.join(PageConfig.getOption('hubPrefix') || '/hub/', 'portal'), '_blank');
      }
    });
    if (launcher) {
      launcher.add({ command: 'mnss:topology-lab', category: w.category, rank: 1 });
      if (PageConfig.getOption('mnssPortal')) {
        // only where the hub serves the portal (courses on; the server says so in the page config)
        launcher.add({ command: 'mnss:courses', category: w.category, rank: 2 });
      }
    }
  }
};
