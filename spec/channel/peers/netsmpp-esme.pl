#!/usr/bin/perl
# An ESME written with Net::SMPP (libnet-smpp-perl), independent of our code, for interop tests of our
# SMSC simulator.
#
#   perl netsmpp-esme.pl PORT SYSTEM_ID PASSWORD MSISDN UNKNOWN_MSISDN
#
# Binds as transceiver (async mode), sends an enquire_link, a binary submit_sm with UDH 02 70 00
# (data_coding 0xF6, registered_delivery 1) to MSISDN, and a text submit_sm to UNKNOWN_MSISDN; then reads
# until it has both responses, the MO echo and the receipt, answering each deliver_sm; then unbinds.
# Prints one JSON line per event.
use strict;
use warnings;
use Net::SMPP;
use JSON::PP;

$| = 1;
my ($port, $system_id, $password, $msisdn, $unknown) = @ARGV;
my $json = JSON::PP->new->canonical;
sub out { print $json->encode({@_}), "\n"; }

my $smpp = Net::SMPP->new_connect('127.0.0.1', port => $port, async => 1, smpp_version => 0x34, timeout => 5)
  or die "cannot connect: $!";
my $seq = $smpp->bind_transceiver(system_id => $system_id, password => $password, interface_version => 0x34);
my $resp = $smpp->wait_pdu(Net::SMPP::CMD_bind_transceiver_resp, $seq) or die 'no bind_transceiver_resp';
out(event => 'bind_resp', status => $resp->{status}, system_id => $resp->{system_id});
exit 1 if $resp->{status} != 0;

my $enq = $smpp->enquire_link();
my $ota = pack('H*', '027000' . '0015161212b0001000000000000100000000000000a0a40000');
my $s1 = $smpp->submit_sm(source_addr => '12345', dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $msisdn,
    esm_class => 0x40, protocol_id => 0x7f, data_coding => 0xf6, registered_delivery => 1, short_message => $ota);
my $s2 = $smpp->submit_sm(source_addr => '12345', destination_addr => $unknown, short_message => 'nobody home');

my %want = (enquire => 1, submit_ok => 1, submit_refused => 1, mo => 1, receipt => 1);
local $SIG{ALRM} = sub { out(event => 'timeout', missing => join(',', sort keys %want)); exit 2; };
alarm 20;
while (%want) {
    my $pdu = $smpp->read_pdu() or die 'connection lost';
    my $cmd = $pdu->{cmd};
    if ($cmd == Net::SMPP::CMD_enquire_link_resp && $pdu->{seq} == $enq) {
        out(event => 'enquire_link_resp', status => $pdu->{status});
        delete $want{enquire};
    } elsif ($cmd == Net::SMPP::CMD_submit_sm_resp && $pdu->{seq} == $s1) {
        out(event => 'submit_resp', status => $pdu->{status}, message_id => $pdu->{message_id});
        delete $want{submit_ok};
    } elsif ($cmd == Net::SMPP::CMD_submit_sm_resp && $pdu->{seq} == $s2) {
        out(event => 'submit_refused', status => $pdu->{status});
        delete $want{submit_refused};
    } elsif ($cmd == Net::SMPP::CMD_deliver_sm) {
        my $receipt = ($pdu->{esm_class} & 0x3c) == 0x04;
        my $id = $pdu->{receipted_message_id};
        $id =~ s/\0$// if defined $id;
        out(event => $receipt ? 'receipt' : 'mo', source_addr => $pdu->{source_addr}, destination_addr => $pdu->{destination_addr},
            esm_class => $pdu->{esm_class}, data_coding => $pdu->{data_coding}, protocol_id => $pdu->{protocol_id},
            short_message => unpack('H*', $pdu->{short_message}),
            receipted_message_id => $id, message_state => defined $pdu->{message_state} ? unpack('C', $pdu->{message_state}) : undef);
        $smpp->deliver_sm_resp(seq => $pdu->{seq}, message_id => '');
        delete $want{$receipt ? 'receipt' : 'mo'};
    } elsif ($cmd == Net::SMPP::CMD_enquire_link) {
        $smpp->enquire_link_resp(seq => $pdu->{seq});
    } else {
        out(event => 'other', cmd => $cmd, status => $pdu->{status});
    }
}
alarm 0;
my $u = $smpp->unbind();
my $ur = $smpp->wait_pdu(Net::SMPP::CMD_unbind_resp, $u);
out(event => 'unbound', status => defined $ur ? $ur->{status} : -1);
