"""Issues: the demand lifecycle from raise to closure; publishes IssueRaised and IssueClosed."""
