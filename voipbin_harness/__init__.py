"""voipbin-harness: contract, scenario and load testing for the VoIPBIN REST API.

The shared code lives here, one concern per subpackage: ``spec`` (loading and linting the
OpenAPI document), ``target`` (where requests go and with which credentials), ``conventions``
(the VoIPBIN rules, stated once), ``findings`` (the one shape every suite reports in),
``emulator`` (a gateway-faithful server) and ``cli``.
"""

__version__ = "0.1.0"
