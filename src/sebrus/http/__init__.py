"""The HTTP layer under both faces: what the REST API (``sebrus.api``) and the web pages
(``sebrus.web``) share.

``deps``: typed FastAPI dependencies for the platform's state, the database session, who is asking
(bearer token or session cookie, with CSRF for cookie sessions) and the chain's services;
``errors``: how a service's refusal maps to an HTTP status, and the JSON error answers.
Imports services, adapters and ``sebrus.runtime``; never a face.
"""
