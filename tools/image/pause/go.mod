module multinic.local/pause

go 1.25
