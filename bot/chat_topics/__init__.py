"""What a person's last policy question in a chat was about, so that a short follow-up
("那预备期呢？", "需要谁批准") can be read with it. Kept in the database for a few minutes
(``[knowledge] followup_minutes``) so that it survives a restart and is shared by every
worker process, and forgotten after that so an old topic never bends a new question."""
