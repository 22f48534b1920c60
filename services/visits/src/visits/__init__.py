"""Visits: enterprises, officials, 包抓 assignments and visits; publishes EnterpriseRegistered and VisitLogged."""
