"""The collection rule (régua de cobrança): email templates, shipped mappings and the "who gets what
today" preview. The trigger and the check action live in the Asaas connector
(connectors/asaas/reminders.py); the polling and the schedule in app/engine/polling.py and
app/scheduler.py. See docs/collection-rule.md.
"""
