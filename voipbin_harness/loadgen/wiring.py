"""Wire a locustfile to the load machinery: its options, its session, its worker messages and
its reports to the master (``install``); its verdict when Locust quits (``judge``).

Locust's ``events`` are module-level in a locustfile, so a locustfile calls
``install(events, behaviour, UserClass)`` once and calls ``judge(environment)`` from its own
``quitting`` listener; those listeners are the whole contract with Locust.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from locust.runners import WorkerRunner

from ..target import credentials_from_env
from .behaviour import ProfileBehaviour
from .options import ConfigError, LoadOptions, add_arguments, resolve_options
from .session import Session, session_of
from .users import mix_tasks

__all__ = ["install", "judge"]

log = logging.getLogger("voipbin_harness.load")


def install(events: Any, behaviour: ProfileBehaviour, user_class: type) -> None:
    """Wire a locustfile: options, session creation, worker messages, reports.

    ``user_class``'s Locust ``tasks`` are the profile's mix again once the options are read
    (``--vb-profiles`` may name another mix than the default file's).
    """
    profile = behaviour.name
    locust_environment: list[Any] = []

    def _values(environment: Any) -> dict[str, Any]:
        """The parsed options, with auth "accesskey" when that is the only credential there is."""
        values = dict(vars(environment.parsed_options)) if environment.parsed_options else {}
        creds = credentials_from_env()
        if not values.get("vb_auth") and creds.accesskey and not (creds.token or creds.username):
            values["vb_auth"] = "accesskey"
        return values

    def _new_session(environment: Any, options: LoadOptions) -> Session:
        session = Session(environment, behaviour, options)
        environment.voipbin_session = session
        user_class.tasks = mix_tasks(options.config.ops)
        behaviour.setup(session)
        return session

    @events.init_command_line_parser.add_listener
    def _options(parser: Any, **_: Any) -> None:
        add_arguments(parser)

    @events.init.add_listener
    def _init(environment: Any, **_: Any) -> None:
        locust_environment[:] = [environment]
        runner = environment.runner
        # a worker started apart gets the master's options with the first spawn message (see _start)
        values = _values(environment)
        try:
            options = resolve_options(profile, values, environment.host or "http://127.0.0.1")
        except ConfigError as exc:
            sys.stderr.write(f"voipbin-harness load: error: {exc}\n")
            sys.exit(2)
        _new_session(environment, options)
        if isinstance(runner, WorkerRunner):
            runner.register_message("vb_start", lambda environment, msg, **kw: session_of(environment).schedule(
                msg.data["t0"], environment.runner.worker_index, msg.data["workers"], msg.data["pool"]))
            runner.register_message("vb_cut", lambda environment, msg, **kw: session_of(environment)._apply_cut(
                msg.data["at"]))
            runner.register_message("vb_phase", lambda environment, msg, **kw: session_of(environment).set_phase(
                msg.data["phase"]))

    @events.test_start.add_listener
    def _start(environment: Any, **_: Any) -> None:
        session = session_of(environment)
        if session.role == "worker":
            values = _values(environment)
            try:  # now the master's options are here: rebuild with them
                options = resolve_options(profile, values, environment.host or session.options.host)
            except ConfigError as exc:
                session.fail(str(exc))
                return
            if options != session.options:
                fresh = _new_session(environment, options)
                if session.t0 is not None:  # a vb_start that already arrived stays valid
                    fresh.schedule(session.t0, session.worker_index, session.workers, session.pool)
        else:
            session.begin()

    @events.report_to_master.add_listener
    def _report(client_id: str, data: dict[str, Any], **_: Any) -> None:
        session = session_of(locust_environment[0])
        data["vb"] = session.book.export()
        data["vb_pacing"] = session.pacer.summary()
        if session.fatal:
            data["vb_fatal"] = session.fatal

    @events.worker_report.add_listener
    def _absorb(client_id: str, data: dict[str, Any], **_: Any) -> None:
        session = session_of(locust_environment[0])
        if "vb" in data:
            session.merged.absorb(data["vb"])
        if "vb_pacing" in data:
            session.worker_pacing[client_id] = data["vb_pacing"]  # cumulative: the latest replaces
        if data.get("vb_fatal"):
            session.fail(f"a worker: {data['vb_fatal']}")


def judge(environment: Any) -> None:
    """A locustfile's ``quitting`` listener calls this: master/local write the verdict
    (summary.json, chart, headline) and set the process exit code; a worker exits 0."""
    session = session_of(environment)
    if session.role == "worker":
        environment.process_exit_code = 0
        return
    try:
        environment.process_exit_code = session.finish()
    except Exception:  # a bug of ours must not look like a threshold (1) or a pass (0)
        log.exception("voipbin-harness load: could not write the verdict")
        environment.process_exit_code = 2
