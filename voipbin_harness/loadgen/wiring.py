"""Wire a locustfile to the load machinery: its options, its session, its worker messages,
its reports to the master, and its verdict when Locust quits (``install``).

Locust's ``events`` are module-level in a locustfile, so ``install(events, profile, UserClass)``
is the one call a locustfile makes; the listeners below are the whole contract with Locust.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from locust.runners import WorkerRunner

from ..target import credentials_from_env
from .hooks import ProfileHooks, hooks_for
from .options import ConfigError, LoadOptions, add_arguments, resolve_options
from .profiles import load_profile
from .session import Session, session_of

__all__ = ["install"]

log = logging.getLogger("voipbin_harness.load")


def install(events: Any, profile: str, user_class: type, hooks: ProfileHooks | None = None) -> None:
    """Wire a locustfile: options, session creation, worker messages, reports, the verdict.

    ``user_class`` gets its Locust ``tasks`` from the profile's mix (now, from the default
    profiles file, and again at init from ``--vb-profiles`` when given).
    """
    from .users import mix_tasks  # imports FastHttpUser: only once a locustfile is being wired

    hooks = hooks or hooks_for(profile)
    user_class.tasks = mix_tasks(load_profile(profile).ops)
    locust_environment: list[Any] = []

    def _values(environment: Any) -> dict[str, Any]:
        """The parsed options, with auth "accesskey" when that is the only credential there is."""
        values = dict(vars(environment.parsed_options)) if environment.parsed_options else {}
        creds = credentials_from_env()
        if not values.get("vb_auth") and creds.accesskey and not (creds.token or creds.username):
            values["vb_auth"] = "accesskey"
        return values

    def _new_session(environment: Any, options: LoadOptions) -> Session:
        session = Session(environment, hooks, options)
        environment.voipbin_session = session
        user_class.tasks = mix_tasks(options.config.ops)
        hooks.setup(session)
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
        if session.fatal:
            data["vb_fatal"] = session.fatal

    @events.worker_report.add_listener
    def _absorb(client_id: str, data: dict[str, Any], **_: Any) -> None:
        session = session_of(locust_environment[0])
        if "vb" in data:
            session.merged.absorb(data["vb"])
        if data.get("vb_fatal"):
            session.fail(f"a worker: {data['vb_fatal']}")

    @events.quitting.add_listener
    def _quit(environment: Any, **_: Any) -> None:
        session = session_of(environment)
        if session.role == "worker":
            environment.process_exit_code = 0
            return
        try:
            environment.process_exit_code = session.finish()
        except Exception:  # a bug of ours must not look like a threshold (1) or a pass (0)
            log.exception("voipbin-harness load: could not write the verdict")
            environment.process_exit_code = 2
