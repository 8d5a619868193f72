"""What joint operations achieved: outcomes per operation and the hub's impact dashboard."""
