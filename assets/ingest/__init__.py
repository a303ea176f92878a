"""Landing zone -> raw tables in the warehouse, one quarter at a time.

Every record read is accounted for: loaded, quarantined (with its file, row and reason) or
deduplicated. A quarter is replaced whole, in one transaction, so a crash leaves the previous
state of that quarter intact and a rerun never duplicates.
"""
