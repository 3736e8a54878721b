"""The public platform ids (docs/api.md); the rest of a platform lives in its provider package."""

from django.db import models


class Platform(models.TextChoices):
    YOUTUBE = "youtube", "YouTube"
    SPOTIFY = "spotify", "Spotify"
    APPLE_MUSIC = "apple_music", "Apple Podcasts"
    DEEZER = "deezer", "Deezer"
    SOUNDCLOUD = "soundcloud", "SoundCloud"
    TUNEIN = "tunein", "TuneIn"
    AMAZON_MUSIC = "amazon_music", "Amazon Music"
    IHEARTRADIO = "iheartradio", "iHeartRadio"
    AUDIOMACK = "audiomack", "Audiomack"
    PODCHASER = "podchaser", "Podchaser"
