#!/bin/sh
# Start a learner's JupyterLab in the container. The first start seeds the JupyterLab language from
# $MNSS_LAB_LANGUAGE (the site's default); a learner's own later choice is kept in the home volume.
set -e
settings="$HOME/.jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"
if [ ! -e "$settings" ]; then
  case "${MNSS_LAB_LANGUAGE:-zh-CN}" in
    zh-CN) locale=zh_CN ;;
    *) locale=en ;;
  esac
  mkdir -p "$(dirname "$settings")"
  printf '{"locale": "%s"}\n' "$locale" > "$settings"
fi
exec jupyterhub-singleuser --ServerApp.allow_root=True --ServerApp.ip=0.0.0.0 "$@"
