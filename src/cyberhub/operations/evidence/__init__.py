"""The evidence register of joint operations: files kept by SHA-256, and their custody."""
