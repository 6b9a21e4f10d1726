"""store/migrations/versions"""
