"""What `mnss course grade` prints per learner and part, and where warnings go instead of the terminal."""

import logging
import warnings

from mnss_courses import cli, parts


def test_score_lines_give_score_over_max_for_the_learner_and_each_part():
    one, two = parts.Part("lan", "subnet-tests", 2, True), parts.Part("lan", "ping-tests", 3, True)
    text = cli.score_lines(parts.Scored("ann", ((one, 2.0), (two, 0.0))))
    assert [line.split() for line in text.splitlines()] == [
        ["ann", "2/5"],
        ["lan/subnet-tests", "2/2"],
        ["lan/ping-tests", "0/3"],
    ]


def test_warnings_go_to_the_log_file_not_the_terminal(tmp_path, monkeypatch, capsys):
    log = tmp_path / "state" / "course.log"
    monkeypatch.setenv(cli.LOG_ENV, str(log))
    logger = logging.getLogger("py.warnings")
    handlers, propagate = list(logger.handlers), logger.propagate
    logging.captureWarnings(False)  # an earlier command run in this process may have left it on
    try:
        assert cli.warnings_to_log() == log
        cli.warnings_to_log()  # a second command in the same process adds no second handler
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("Object of type <SubmittedAssignment> not in session", stacklevel=1)
        for handler in set(logger.handlers) - set(handlers):  # others' handlers may hold closed streams
            handler.flush()
        assert capsys.readouterr().err == ""
        assert log.read_text("utf-8").count("UserWarning: Object of type") == 1
    finally:
        logging.captureWarnings(False)
        for handler in set(logger.handlers) - set(handlers):
            handler.close()
        logger.handlers = handlers
        logger.propagate = propagate


def test_the_log_defaults_to_the_users_state_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(cli.LOG_ENV, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert cli.log_file() == tmp_path / "mnss" / "course.log"
