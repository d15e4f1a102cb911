"""Voice fakes made from real speech: vocoder resynthesis and offline text-to-speech."""
