export { OneTimeTickets, ticketBytes, type TicketIssuer, type OneTimeTicketsOptions, type IssuedTicket, type RedeemedTicket } from './tickets';
