"""Pose data for the illustrations: one TOML file per exercise (read by `bot.illustrations.rig`)."""
