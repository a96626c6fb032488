"""Courses, assessments, certificates, staff KPIs and incentives."""
