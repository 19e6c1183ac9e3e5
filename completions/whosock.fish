# fish completion for whosock(8)
# SPDX-License-Identifier: LGPL-2.1-or-later
# Options as `whosock --help` lists them (tests/packaging checks that every
# option there is here); `whosock watch`, `whosock top` and `whosock deps` take
# their own subsets, `whosock serve` and `whosock capture` their own options.

function __whosock_watch --description 'the command line is whosock watch'
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = watch
end

function __whosock_top --description 'the command line is whosock top'
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = top
end

function __whosock_deps --description 'the command line is whosock deps'
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = deps
end

function __whosock_serve --description 'the command line is whosock serve'
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = serve
end

function __whosock_capture --description 'the command line is whosock capture'
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = capture
end

function __whosock_no_subcommand --description 'no word after whosock yet'
    test (count (commandline -opc)) -eq 1
end

# Complete the last item of a comma-separated list.
function __whosock_list --description 'items of a comma-separated list'
    set -l token (commandline -ct)
    set -l prefix (string replace -r '[^,]*$' '' -- $token)
    for item in $argv
        printf '%s%s\n' $prefix $item
    end
end

function __whosock_netns --description 'network namespaces by name'
    if test -d /run/netns
        command ls /run/netns 2>/dev/null
    end
    echo pid:
end

set -l list 'not __whosock_watch; and not __whosock_top; and not __whosock_deps; and not __whosock_serve; and not __whosock_capture'
set -l watch __whosock_watch
set -l top __whosock_top
set -l deps __whosock_deps
set -l serve __whosock_serve
set -l capture __whosock_capture
set -l notserve 'not __whosock_serve'

complete -c whosock -f
complete -c whosock -n __whosock_no_subcommand -a watch -d 'report sockets opening and closing'
complete -c whosock -n __whosock_no_subcommand -a top -d 'who moves how many bytes, live'
complete -c whosock -n __whosock_no_subcommand -a deps -d 'which client connects to which service'
complete -c whosock -n __whosock_no_subcommand -a serve -d 'Prometheus exporter and HTTP API'
complete -c whosock -n __whosock_no_subcommand -a capture -d 'packets tagged with their processes'

# Kinds
complete -c whosock -n $list -s t -l tcp -d 'TCP sockets'
complete -c whosock -n $watch -s t -l tcp -d 'TCP sockets'
complete -c whosock -n $top -s t -l tcp -d 'TCP sockets'
complete -c whosock -n $list -s u -l udp -d 'UDP and UDP-Lite sockets'
complete -c whosock -n $watch -s u -l udp -d 'UDP and UDP-Lite sockets'
complete -c whosock -n $top -s u -l udp -d 'UDP and UDP-Lite sockets'
complete -c whosock -n $list -s w -l raw -d 'RAW sockets'
complete -c whosock -n $list -s x -l unix -d 'UNIX sockets'
complete -c whosock -n $list -s 0 -l packet -d 'packet sockets'
complete -c whosock -n $list -l netlink -d 'netlink sockets'
complete -c whosock -n $list -s M -l mptcp -d 'MPTCP sockets'
complete -c whosock -n $list -s S -l sctp -d 'SCTP sockets'
complete -c whosock -n $list -l vsock -d 'vsock sockets'
complete -c whosock -n $list -l xdp -d 'XDP sockets'
complete -c whosock -n $list -s A -l query -x -d 'kinds, as ss -A' \
    -a '(__whosock_list all inet tcp udp udplite raw mptcp sctp unix packet netlink vsock xdp other)'
complete -c whosock -n $watch -s A -l query -x -d 'kinds (TCP and UDP)' \
    -a '(__whosock_list tcp udp udplite)'
complete -c whosock -n $top -s A -l query -x -d 'kinds (TCP and UDP)' \
    -a '(__whosock_list tcp udp udplite)'

# Filters
complete -c whosock -n $list -s l -l listening -d 'listening sockets only'
complete -c whosock -n $notserve -s 4 -l ipv4 -d 'IPv4 only'
complete -c whosock -n $notserve -s 6 -l ipv6 -d 'IPv6 only'
complete -c whosock -n $list -l state -x -d 'sockets in this state' \
    -a '(__whosock_list listen established syn-sent syn-recv fin-wait1 fin-wait2 time-wait close close-wait last-ack closing new-syn-recv bound-inactive unconn connected)'
complete -c whosock -n $notserve -l port -x -d 'local or remote port'
complete -c whosock -l host-only -d 'only this network namespace'
complete -c whosock -n $notserve -l netns -x -a '(__whosock_netns)' -d 'only this network namespace'
complete -c whosock -n $notserve -l container -x -d 'held by processes in this container (ID prefix)'
complete -c whosock -n $notserve -l pid -x -a '(__fish_complete_pids)' -d 'held by this process'
complete -c whosock -n $notserve -l user -x -a '(__fish_complete_users)' -d 'held by processes of this user'
complete -c whosock -n $notserve -l comm -x -a '(__fish_complete_proc)' -d 'held by processes with this name'
complete -c whosock -n $notserve -l cmdline -x -d 'held by processes whose command line matches'

# Output
complete -c whosock -n $list -s o -l output -x -a 'table json ndjson csv' -d 'output format'
complete -c whosock -n $watch -s o -l output -x -a 'table ndjson' -d 'output format'
complete -c whosock -n $list -s H -l no-header -d 'no header line'
complete -c whosock -n $list -s e -l extended -d 'queues, uid, inode, cookie and user names'
complete -c whosock -n $list -s i -l info -d 'TCP details as columns'
complete -c whosock -n $list -s m -l memory -d 'socket memory columns'
complete -c whosock -n $list -s r -l resolve -d 'host and service names'
complete -c whosock -n $list -s s -l summary -d 'counts by protocol and state'
complete -c whosock -n $list -l pids -d "only the owners' pids"
complete -c whosock -n $list -l sort -x -d 'order rows by' \
    -a '(__whosock_list netns proto state port rport pid queues inode)'
complete -c whosock -n $list -l color -x -a 'auto always never' -d 'colour the table'
complete -c whosock -n $list -l timing -d 'how long each phase took, on stderr'
complete -c whosock -n $list -l owners-from -x -a 'auto bpf proc' -d 'where owners come from'
complete -c whosock -n $list -s K -l kill -d 'destroy the sockets selected'
complete -c whosock -n $list -l dry-run -d 'with -K: destroy nothing'
complete -c whosock -n $list -s p -d 'as ss -p (owners are the default)'
complete -c whosock -n $list -s n -d 'as ss -n (numbers are the default)'
complete -c whosock -n $list -s a -d 'as ss -a (every state is the default)'
complete -c whosock -n $list -l no-owners -d 'do not look for owning processes'
complete -c whosock -n $list -l no-bpf -d 'load no BPF program (owners from /proc)'
complete -c whosock -n $list -l source -x -a 'auto netlink proc' -d 'where sockets are read'
complete -c whosock -s h -l help -d 'show the help'
complete -c whosock -n $list -s V -l version -d 'show the version'

# whosock watch
complete -c whosock -n $watch -l connections -d 'also TCP connections and connected UDP'
complete -c whosock -n $watch -l interval -x -d 'between dumps: 1, 0.5, 250ms'
complete -c whosock -n $top -l interval -x -d 'between dumps: 1, 0.5, 250ms'
complete -c whosock -n $watch -l count -x -d 'stop after N events'
complete -c whosock -n $watch -l timeout -x -d 'stop after this many seconds'
complete -c whosock -n $top -l timeout -x -d 'stop after this many seconds'

# whosock top
complete -c whosock -n $top -s o -l output -x -a 'ndjson json csv' -d 'rows for scripts'
complete -c whosock -n $top -s H -l no-header -d 'no header line in csv output'
complete -c whosock -n $top -l color -x -a 'auto always never' -d 'colour the live view'
complete -c whosock -n $top -s d -l delay -x -d 'live view refresh: 1, 0.5, 250ms'
complete -c whosock -n $top -l by -x -a '(__whosock_list process connection remote container user netns)' -d 'how rows group sockets'
complete -c whosock -n $top -s b -l bytes -d 'rates in bytes per second (default)'
complete -c whosock -n $top -l bits -d 'rates in bits per second'
complete -c whosock -n $top -l no-bpf -d 'no BPF: UDP bytes not counted'
complete -c whosock -n $top -l count -x -d 'stop after N intervals'
complete -c whosock -n $watch -l no-bpf -d 'no kernel socket events or UDP byte counters'

# whosock deps (and the filters it shares with the listing)
for o in tcp udp ipv4 ipv6 host-only
    complete -c whosock -n $deps -l $o
end
for o in netns container pid user comm cmdline query
    complete -c whosock -n $deps -l $o -x
end
complete -c whosock -n $deps -s o -l output -x -a 'table json ndjson csv dot' -d 'output format'
complete -c whosock -n $deps -s H -l no-header -d 'no header line'
complete -c whosock -n $deps -l duration -x -d 'observe this long, then print'
complete -c whosock -n $deps -l interval -x -d 'print the edges every: 1, 0.5, 250ms'
complete -c whosock -n $deps -l by -x -a 'process user container netns' -d 'group clients by'
complete -c whosock -n $deps -l service -x -d 'only connections to [ADDR]:PORT'
complete -c whosock -n $deps -l exclude-loopback -d 'leave out 127.0.0.0/8 and ::1'
complete -c whosock -n $deps -l no-bpf -d 'no kernel socket events (connections from /proc looks)'

# whosock serve
complete -c whosock -n $serve -l listen -x -d 'where to listen: ADDR:PORT or none'
complete -c whosock -n $serve -l web.config.file -r -F -d 'TLS and basic auth (exporter-toolkit format)'
complete -c whosock -n $serve -l textfile -r -F -d 'also write the metrics to this file'
complete -c whosock -n $serve -l interval -x -d 'between full snapshots (default 15 s)'
complete -c whosock -n $serve -l expose-cmdline -d 'command lines in /api/v1 (never in /metrics)'
complete -c whosock -n $serve -l max-series -x -d 'series per metric (default 2000)'
complete -c whosock -n $serve -l max-connections -x -d 'HTTP connections at once (default 64)'
complete -c whosock -n $serve -l request-timeout -x -d 'close a connection idle this long'
complete -c whosock -n $serve -l no-bpf -d 'no BPF: UDP bytes not counted, no kernel socket events'

# whosock capture
complete -c whosock -n $capture -s i -l interface -x -a 'any (command ls /sys/class/net 2>/dev/null)' -d 'capture on this interface'
complete -c whosock -n $capture -l netns -x -a '(__whosock_netns) all' -d 'capture in this namespace, or all'
complete -c whosock -n $capture -s c -l count -x -d 'stop after N packets'
complete -c whosock -n $capture -s w -l write -r -F -d 'write pcapng with the owners as comments'
complete -c whosock -n $capture -s s -l snapshot-length -x -d 'bytes kept of each packet'
complete -c whosock -n $capture -s o -l output -x -a 'text ndjson' -d 'output format'
complete -c whosock -n $capture -s n -l numeric -d 'always numeric (as tcpdump -n)'
complete -c whosock -n $capture -l pid -x -a '(__fish_complete_pids)' -d 'only packets of this process'
complete -c whosock -n $capture -l user -x -a '(__fish_complete_users)' -d 'only packets of this user'
complete -c whosock -n $capture -l comm -x -d 'only packets of processes of this name'
complete -c whosock -n $capture -l container -x -d 'only packets of this container'
complete -c whosock -n $capture -l no-bpf -d 'no kernel socket events'
