/**
 * The panel's words in zh-CN and en. The panel follows JupyterLab's language (which the
 * platform seeds from the site's default language), so one language at a time is shown.
 */
export type Lang = 'zh' | 'en';

export interface Course {
  id: string;
  title_zh: string;
  title_en: string;
  done: number;
  total: number;
}

export interface Recommendation {
  item: string;
  title_zh: string;
  title_en: string;
  reason_zh: string;
  reason_en: string;
  enrolled: boolean;
  /** true: from a course the learner is not in; the reason starts with 先选课 / Enrol first */
  enrol_first?: boolean;
  /** the course exchange has released it, so it can be fetched */
  released: boolean;
  local_path: string | null;
}

export interface Summary {
  courses: Course[];
  recommendations: Recommendation[];
  recommendations_error?: { zh: string; en: string } | null;
  /** the exchange could not say what is released: nothing is offered for fetching */
  exchange_error?: { zh: string; en: string } | null;
}

/** `obj[field + '_zh']` or `_en`, falling back to the other language when one is empty. */
/** JupyterLab's language as the panel's: Chinese for any zh locale, else English. */
export function langOf(languageCode: string | undefined): Lang {
  return (languageCode || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function pick(obj: any, field: string, lang: Lang): string {
  const other: Lang = lang === 'zh' ? 'en' : 'zh';
  return obj[`${field}_${lang}`] || obj[`${field}_${other}`] || '';
}

export const text = {
  zh: {
    title: '我的课程 / 下一步',
    courses: '我的课程',
    nextUp: '下一步',
    loading: '正在加载…',
    reload: '刷新',
    noCourses: '你还没有加入任何课程。请联系课程讲师。',
    noRecommendations: '暂时没有推荐：先打开一门课程的作业吧。',
    enrolFirst: '先选课：请讲师把你加入这门课程',
    notReleased: '尚未发布：讲师发布后即可获取',
    open: '打开',
    fetchOpen: '获取并打开',
    failed: '请求失败',
    serverDown: '无法连接到你的 Jupyter 服务器，请刷新页面。',
    progress: (done: number, total: number) => `已完成 ${done} / ${total}`,
    stopping: (saved: number) => `你的服务器正在停止：已保存 ${saved} 个修改过的文件。重新启动后可继续工作。`,
    submit: '提交作业',
    submitTip: '保存并提交这份作业，讲师评分后可在门户查看成绩'
  },
  en: {
    title: 'My courses / Next up',
    courses: 'My courses',
    nextUp: 'Next up',
    loading: 'Loading…',
    reload: 'Reload',
    noCourses: 'You are not in any course yet. Ask your instructor.',
    noRecommendations: 'No recommendations yet: open an assignment of one of your courses first.',
    enrolFirst: 'Enrol first: ask the instructor to add you to this course',
    notReleased: 'Not released yet: it can be fetched once the instructor releases it',
    open: 'Open',
    fetchOpen: 'Fetch and open',
    failed: 'Request failed',
    serverDown: 'Cannot reach your Jupyter server; reload the page.',
    progress: (done: number, total: number) => `${done} / ${total} done`,
    stopping: (saved: number) =>
      `Your server is stopping: ${saved} modified file(s) saved. Start it again to go on working.`,
    submit: 'Submit',
    submitTip: 'Save and submit this assignment; the score shows on the portal once it is graded'
  }
};
