"""The inbox: requests verified and stored (views), processed later by one handler per
activity type (handlers/, registered in dispatch)."""
