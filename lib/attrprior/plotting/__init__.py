"""Figure helpers shared by notebooks: one function per kind of figure."""
