"""Media attachments land with the media issue."""
