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
  local_path: string | null;
}

export interface Summary {
  courses: Course[];
  recommendations: Recommendation[];
  recommendations_error?: { zh: string; en: string } | null;
}

/** `obj[field + '_zh']` or `_en`, falling back to the other language when one is empty. */
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
    notEnrolled: '（未加入此课程）',
    open: '打开',
    fetchOpen: '获取并打开',
    failed: '请求失败',
    serverDown: '无法连接到你的 Jupyter 服务器，请刷新页面。',
    progress: (done: number, total: number) => `已完成 ${done} / ${total}`
  },
  en: {
    title: 'My courses / Next up',
    courses: 'My courses',
    nextUp: 'Next up',
    loading: 'Loading…',
    reload: 'Reload',
    noCourses: 'You are not in any course yet. Ask your instructor.',
    noRecommendations: 'No recommendations yet: open an assignment of one of your courses first.',
    notEnrolled: '(not enrolled in this course)',
    open: 'Open',
    fetchOpen: 'Fetch and open',
    failed: 'Request failed',
    serverDown: 'Cannot reach your Jupyter server; reload the page.',
    progress: (done: number, total: number) => `${done} / ${total} done`
  }
};
