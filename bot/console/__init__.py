"""The admin console (管理后台) under /admin/: server-rendered pages over the features' services.

Pages parse a form, call the feature's service and render; no rule lives here. The
framework (``site.py``) gives every page the same guards: the personal login with the
console's own idle and absolute limits, the role declared by the route, the CSRF token
on every state-changing request, and one audit row per action with channel ``console``.
"""
