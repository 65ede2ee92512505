/**
 * nbgrader's tools in an instructor's lab (Create Assignment, Validate, Assignment List) in
 * Chinese. nbgrader's lab extension writes English only and has no message catalogue, so with
 * Chinese chosen its words are replaced as they appear: widget and menu titles through Lumino,
 * everything else from the catalogue below, and only inside nbgrader's own widgets, menus,
 * toolbars and dialogs, never in a notebook's cells or outputs. Learners' labs have none of
 * these tools (the platform turns them off), so this matters to instructors.
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator } from '@jupyterlab/translation';
import { Menu, Widget } from '@lumino/widgets';

import { langOf } from './i18n';

/** nbgrader's English (trimmed) -> Chinese. */
export const WORDS: Record<string, string> = {
  Nbgrader: '作业 (nbgrader)',
  Assignments: '作业列表',
  'Assignment List': '作业列表',
  'Create Assignment': '创建作业',
  'Create assignment': '创建作业',
  'Nbgrader Create Assignment': 'nbgrader 创建作业',
  Validate: '验证',
  'Validate Assignment': '验证作业',
  'Validating...': '正在验证…',
  'Validation Results': '验证结果',
  'Validation failed': '验证未通过',
  'Success! Your notebook passes all the tests.': '通过！这份笔记本通过了全部测试。',
  'The following cell failed:': '以下单元格未通过：',
  'The following cell passed:': '以下单元格通过了：',
  'There was an error running the validate command:': '运行验证命令时出错：',
  'The source of the following cell has changed, but it should not have!': '以下单元格不应修改，但它的内容被改了！',
  'Type:': '类型：',
  'ID:': '编号：',
  'Points:': '分值：',
  'Total points:': '总分：',
  'Manually graded answer': '人工评分的答案',
  'Manually graded task': '人工评分的任务',
  'Autograded answer': '自动评分的答案',
  'Autograded tests': '自动评分的测试',
  'Read-only': '只读',
  'Released, downloaded, and submitted assignments for course:': '该课程已发布、已下载和已提交的作业：',
  'Released assignments': '已发布的作业',
  'Downloaded assignments': '已下载的作业',
  'Submitted assignments': '已提交的作业',
  'There are no assignments to fetch.': '没有可获取的作业。',
  'There are no downloaded assignments.': '没有已下载的作业。',
  'There are no submitted assignments.': '没有已提交的作业。',
  'Loading, please wait...': '正在加载，请稍候…',
  'Refresh assignments list': '刷新作业列表',
  'No courses found.': '没有找到课程。',
  'Toggle Dropdown': '展开列表',
  Fetch: '获取',
  'Fetching...': '正在获取…',
  Submit: '提交',
  'Fetch Feedback': '获取反馈',
  'Fetching Feedback...': '正在获取反馈…',
  'Error fetching assignment.': '获取作业时出错。',
  'Error submitting assignment.': '提交作业时出错。',
  'Error fetching feedback.': '获取反馈时出错。',
  'Error validating assignment.': '验证作业时出错。',
  'Duplicate nbgrader cell ID': 'nbgrader 单元格编号重复',
  'Invalid nbgrader cell ID': 'nbgrader 单元格编号无效',
  'Cannot save notebook': '无法保存笔记本',
  'Invalid Submission': '提交无效',
  'Assignment not submitted:': '作业未提交：',
  'Student changes will be overwritten': '学员的修改将被覆盖',
  'Outdated schema version': '元数据版本过旧',
  'Version Mismatch': '版本不一致'
};

/** Where nbgrader writes: its widgets (ids and classes start with nbgrader-), menus, toolbars, dialogs. */
const SCOPE = '[id^="nbgrader-"], [class*="nbgrader-"], .lm-Menu, .jp-Toolbar, .jp-Dialog';
/** A notebook's own content is never touched, even inside an nbgrader scope. */
const CONTENT = '.jp-Cell-inputArea, .jp-Cell-outputArea, .jp-MarkdownOutput';
const ATTRIBUTES = ['title', 'placeholder'];

/** `text` with its catalogue word replaced, keeping the surrounding white space; null if none. */
export function chinese(text: string): string | null {
  const word = text.trim();
  const zh = WORDS[word];
  return zh === undefined ? null : text.replace(word, zh);
}

function inScope(node: Node): boolean {
  const el = node.nodeType === Node.ELEMENT_NODE ? (node as Element) : node.parentElement;
  return !!el && el.closest(SCOPE) !== null && el.closest(CONTENT) === null;
}

function translateTree(root: Node): void {
  const top = root.nodeType === Node.ELEMENT_NODE ? (root as Element) : root.parentElement;
  if (!top || top.closest(CONTENT) || (!top.closest(SCOPE) && !top.querySelector(SCOPE))) {
    return; // most changes are in notebooks: nothing of nbgrader's there
  }
  const visit = (node: Node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const zh = inScope(node) ? chinese((node as Text).data) : null;
      if (zh !== null) {
        (node as Text).data = zh;
      }
    } else if (node.nodeType === Node.ELEMENT_NODE && inScope(node)) {
      for (const name of ATTRIBUTES) {
        const value = (node as Element).getAttribute(name);
        const zh = value === null ? null : chinese(value);
        if (zh !== null) {
          (node as Element).setAttribute(name, zh);
        }
      }
    }
  };
  visit(root);
  if (root.nodeType !== Node.ELEMENT_NODE) {
    return;
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    visit(node);
  }
}

/** Titles Lumino renders from its own model (menu bar, side bar tabs, main-area tabs). */
function retitle(widgets: Iterable<Widget>): void {
  for (const widget of widgets) {
    const zh = chinese(widget.title.label);
    if (zh !== null) {
      widget.title.label = zh;
    }
    const caption = chinese(widget.title.caption);
    if (caption !== null) {
      widget.title.caption = caption;
    }
    for (const menu of ((widget as any).menus as Menu[] | undefined) || []) {
      retitle([menu]);
    }
  }
}

export const nbgraderWordsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mnss-panel:nbgrader-words',
  description: "nbgrader's authoring and assignment tools in Chinese when Chinese is chosen.",
  autoStart: true,
  requires: [ITranslator],
  optional: [ILabShell],
  activate: (app: JupyterFrontEnd, translator: ITranslator, shell: ILabShell | null) => {
    if (langOf(translator.languageCode) !== 'zh') {
      return;
    }
    new MutationObserver(changes => {
      for (const change of changes) {
        if (change.type === 'childList') {
          change.addedNodes.forEach(translateTree);
        } else {
          translateTree(change.target);
        }
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ATTRIBUTES
    });
    if (shell) {
      const areas = ['menu', 'left', 'right', 'main'] as const;
      const all = () => areas.forEach(area => retitle(shell.widgets(area)));
      void app.restored.then(all);
      shell.layoutModified.connect(all);
    }
    translateTree(document.body);
  }
};
