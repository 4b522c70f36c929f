"""Login security: who must pass a second factor and how (``two_factor``), the gate that sends
them to it (``middleware``), its pages (``views``, ``forms``), the lock-out after repeated failed
logins (``lockout``) and staff logins in the audit log (``staff_logins``).

It lives in ``applications`` because it secures the ``User`` model that ``applications`` owns.
Roles defined higher up the import line (``reviews``' reviewer) are handed down through the
registries here, from that app's ``AppConfig.ready()``.
"""
