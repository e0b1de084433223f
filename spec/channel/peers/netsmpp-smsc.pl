#!/usr/bin/perl
# An SMSC written with Net::SMPP (libnet-smpp-perl), independent of our code, for interop tests of our ESME.
#
#   perl netsmpp-smsc.pl SYSTEM_ID PASSWORD
#
# Listens on a free loopback port and prints {"event":"ready","port":N}. Serves one ESME connection in
# Net::SMPP's async mode: checks the bind, answers every submit_sm with message_id "perl-N", echoes each
# submitted SM back as a deliver_sm (UDH IEI 0x70 turned into 0x71, like a SIM's response packet), sends a
# delivery receipt (esm_class 0x04, Appendix B text and TLVs) when registered_delivery asks, answers
# enquire_link, and prints a JSON line for everything it sees. Exits after unbind.
use strict;
use warnings;
use Net::SMPP;
use JSON::PP;

$| = 1;
my ($system_id, $password) = @ARGV;
my $json = JSON::PP->new->canonical;
sub out { print $json->encode({@_}), "\n"; }

my $listen = Net::SMPP->new_listen('127.0.0.1', port => 0, async => 1, smpp_version => 0x34)
  or die "cannot listen: $!";
out(event => 'ready', port => $listen->sockport);
my $c = $listen->accept or die "accept failed: $!";
$listen->close;

my $count = 0;
while (1) {
    my $pdu = $c->read_pdu() or do { out(event => 'eof'); last; };
    my $cmd = $pdu->{cmd};
    if ($cmd == Net::SMPP::CMD_bind_transceiver) {
        my $ok = $pdu->{system_id} eq $system_id && $pdu->{password} eq $password;
        out(event => 'bind', system_id => $pdu->{system_id}, interface_version => $pdu->{interface_version}, accepted => $ok ? JSON::PP::true : JSON::PP::false);
        $c->bind_transceiver_resp(seq => $pdu->{seq}, system_id => 'PERLSMSC', status => $ok ? 0 : 0x0E);
    } elsif ($cmd == Net::SMPP::CMD_submit_sm) {
        $count++;
        my $id = "perl-$count";
        my $sm = $pdu->{short_message};
        out(event => 'submit', seq => $pdu->{seq}, source_addr => $pdu->{source_addr}, destination_addr => $pdu->{destination_addr},
            esm_class => $pdu->{esm_class}, protocol_id => $pdu->{protocol_id}, data_coding => $pdu->{data_coding},
            registered_delivery => $pdu->{registered_delivery}, short_message => unpack('H*', $sm), message_id => $id);
        $c->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
        my $echo = $sm;
        if (($pdu->{esm_class} & 0x40) && length($echo) >= 3 && substr($echo, 0, 3) eq "\x02\x70\x00") {
            substr($echo, 1, 1) = "\x71";
        }
        $c->deliver_sm(source_addr_ton => 1, source_addr_npi => 1, source_addr => $pdu->{destination_addr},
            dest_addr_ton => 0, dest_addr_npi => 0, destination_addr => $pdu->{source_addr},
            esm_class => $pdu->{esm_class} & 0x40, protocol_id => $pdu->{protocol_id}, data_coding => $pdu->{data_coding},
            short_message => $echo);
        if (($pdu->{registered_delivery} & 0x03) == 1) {
            my $text = "id:$id sub:001 dlvrd:001 submit date:2406011200 done date:2406011201 stat:DELIVRD err:000 text:";
            $c->deliver_sm(source_addr => $pdu->{destination_addr}, destination_addr => $pdu->{source_addr},
                esm_class => 0x04, short_message => $text,
                receipted_message_id => "$id\0", message_state => chr(2));
        }
    } elsif ($cmd == Net::SMPP::CMD_deliver_sm_resp) {
        out(event => 'deliver_sm_resp', seq => $pdu->{seq}, status => $pdu->{status});
    } elsif ($cmd == Net::SMPP::CMD_enquire_link) {
        out(event => 'enquire_link', seq => $pdu->{seq});
        $c->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == Net::SMPP::CMD_unbind) {
        out(event => 'unbind', seq => $pdu->{seq});
        $c->unbind_resp(seq => $pdu->{seq});
        last;
    } elsif ($cmd == Net::SMPP::CMD_generic_nack) {
        out(event => 'generic_nack', seq => $pdu->{seq}, status => $pdu->{status});
    } else {
        out(event => 'other', cmd => $cmd, seq => $pdu->{seq});
        $c->generic_nack(seq => $pdu->{seq}, status => 0x03);
    }
}
$c->close;
out(event => 'done');
