"""The organiser pages' view-models, built from the domain data the services return.

Services answer in rows, counts and typed results; what a page shows (its tallies, its
order, which rows go together) is put together here, one module per area.
"""
