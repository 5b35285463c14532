"""Local doubles of the third-party services (Asaas, ZapSign) for end-to-end tests and the demo.

They behave like the documented APIs for the parts Ponte uses; they are not used by unit tests
(those use ``responses``).
"""
