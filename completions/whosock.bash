# bash completion for whosock(8)                           -*- shell-script -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
# Options as `whosock --help` lists them (tests/packaging checks that every
# option there is here); `whosock watch`, `whosock top` and `whosock deps` take
# their own subsets, `whosock serve` and `whosock capture` their own options.

_whosock_kinds='all inet tcp udp udplite raw mptcp sctp unix packet netlink vsock xdp other'
_whosock_states='listen established syn-sent syn-recv fin-wait1 fin-wait2 time-wait
	close close-wait last-ack closing new-syn-recv bound-inactive unconn connected'

# Complete the last item of a comma-separated list from the words in $1.
_whosock_list()
{
	local prefix= item=$cur
	if [[ $cur == *,* ]]; then
		prefix=${cur%,*},
		item=${cur##*,}
	fi
	COMPREPLY=($(compgen -P "$prefix" -W "$1" -- "$item"))
}

_whosock()
{
	local cur prev words cword split
	_init_completion -s -n : || return

	local watch= top= deps= serve= capture=
	[[ $cword -gt 1 && ${words[1]} == watch ]] && watch=1
	[[ $cword -gt 1 && ${words[1]} == top ]] && top=1
	[[ $cword -gt 1 && ${words[1]} == deps ]] && deps=1
	[[ $cword -gt 1 && ${words[1]} == serve ]] && serve=1
	[[ $cword -gt 1 && ${words[1]} == capture ]] && capture=1

	case $prev in
	-o | --output)
		if [[ $top ]]; then
			COMPREPLY=($(compgen -W 'ndjson json csv' -- "$cur"))
		elif [[ $watch ]]; then
			COMPREPLY=($(compgen -W 'table ndjson' -- "$cur"))
		elif [[ $deps ]]; then
			COMPREPLY=($(compgen -W 'table json ndjson csv dot' -- "$cur"))
		elif [[ $capture ]]; then
			COMPREPLY=($(compgen -W 'text ndjson' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'table json ndjson csv' -- "$cur"))
		fi
		return
		;;
	--by)
		if [[ $top ]]; then
			_whosock_list 'process connection remote container user netns'
		else
			COMPREPLY=($(compgen -W 'process user container netns' -- "$cur"))
		fi
		return
		;;
	-A | --query)
		if [[ $watch || $top || $deps ]]; then
			_whosock_list 'tcp udp udplite'
		else
			_whosock_list "$_whosock_kinds"
		fi
		return
		;;
	--state)
		_whosock_list "$_whosock_states"
		return
		;;
	--source)
		COMPREPLY=($(compgen -W 'auto netlink proc' -- "$cur"))
		return
		;;
	--owners-from)
		COMPREPLY=($(compgen -W 'auto bpf proc' -- "$cur"))
		return
		;;
	--sort)
		_whosock_list 'netns proto state port rport pid queues inode'
		return
		;;
	--color)
		COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
		return
		;;
	-i | --interface)
		if [[ $capture ]]; then
			COMPREPLY=($(compgen -W "any $(command ls /sys/class/net 2>/dev/null)" -- "$cur"))
			return
		fi
		;;
	-w | --write)
		if [[ $capture ]]; then
			_filedir '@(pcapng|pcap)'
			return
		fi
		;;
	-c | -s | --snapshot-length)
		[[ $capture ]] && return
		;;
	--netns)
		local names=
		[[ -d /run/netns ]] && names=$(command ls /run/netns 2>/dev/null)
		COMPREPLY=($(compgen -W "$names pid:${capture:+ all}" -- "$cur"))
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == pid: ]] && compopt -o nospace
		__ltrim_colon_completions "$cur"
		return
		;;
	--pid)
		_pids
		return
		;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--comm)
		_pnames
		return
		;;
	--web.config.file | --textfile)
		_filedir
		return
		;;
	--port | --cmdline | --container | --interval | --count | --timeout | --duration | --service | \
		-d | --delay | --listen | --max-series | --max-connections | --request-timeout)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		local opts
		if [[ $capture ]]; then
			opts='-i --interface --netns -c --count -w --write
				-s --snapshot-length -o --output -n --numeric --pid --user
				--comm --container --no-bpf -h --help'
		elif [[ $serve ]]; then
			opts='--listen --web.config.file --textfile --interval
				--expose-cmdline --max-series --max-connections
				--request-timeout --host-only --no-bpf -h --help'
		elif [[ $top ]]; then
			opts='-t --tcp -u --udp -A --query -4 --ipv4 -6 --ipv6 --port
				--host-only --netns --container --pid --user --comm --cmdline
				-o --output -H --no-header --color -d --delay --by -b --bytes
				--bits --no-bpf --interval --count --timeout -h --help'
		elif [[ $watch ]]; then
			opts='-t --tcp -u --udp -A --query -4 --ipv4 -6 --ipv6 --port
				--host-only --netns --container --pid --user --comm --cmdline
				-o --output --connections --interval --count --timeout
				--no-bpf -h --help'
		elif [[ $deps ]]; then
			opts='-t --tcp -u --udp -A --query -4 --ipv4 -6 --ipv6
				--host-only --netns --container --pid --user --comm --cmdline
				-o --output -H --no-header --duration --interval --by --service
				--exclude-loopback --no-bpf -h --help'
		else
			opts='-t --tcp -u --udp -w --raw -x --unix -0 --packet --netlink
				-M --mptcp -S --sctp --vsock --xdp -A --query -l --listening
				-4 --ipv4 -6 --ipv6 --state --port --host-only --netns
				--container --pid --user --comm --cmdline -o --output
				-H --no-header -e --extended -i --info -m --memory -r --resolve
				-s --summary --pids --sort --color --timing --no-owners --source
				--owners-from --no-bpf -K --kill --dry-run -p -n -a -h --help
				-V --version'
		fi
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# The first word may be the subcommand; the rest are [ADDR]:PORT[/PROTO]
	# queries, which have nothing to complete.
	if [[ $cword -eq 1 ]]; then
		COMPREPLY=($(compgen -W 'watch top deps serve capture' -- "$cur"))
	fi
} &&
	complete -F _whosock whosock

# ex: filetype=sh
