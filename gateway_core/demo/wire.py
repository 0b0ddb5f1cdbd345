"""Translation from the demo broker's records and changes to protocol models.

This is the demo's counterpart of the EA's JSON writers: the only place that knows how an
order, an account or a broker change looks on the wire.
"""

from __future__ import annotations

from datetime import datetime

from ..protocol import (
    AccountData,
    AccountUpdate,
    Event,
    OrderDeleted,
    OrderDeletedData,
    OrderModified,
    OrderModifiedData,
    OrderPlaced,
    OrderTriggered,
    PartialCloseData,
    PendingOrderData,
    PendingType,
    PositionClosed,
    PositionClosedData,
    PositionData,
    PositionModified,
    PositionModifiedData,
    PositionOpened,
    PositionPartiallyClosed,
    PositionTick,
    SymbolInfoData,
)
from .broker import Broker
from .market import SymbolSpec
from .orders import (
    BrokerEvent,
    Closed,
    Deleted,
    Opened,
    Order,
    PartiallyClosed,
    PendingChanged,
    Placed,
    PositionChanged,
    Triggered,
)


def position_data(order: Order) -> PositionData:
    return PositionData(
        ticket=order.ticket,
        symbol=order.symbol,
        type="buy" if order.is_buy else "sell",
        lots=order.lots,
        open_price=order.open_price,
        stop_loss=order.stop_loss,
        take_profit=order.take_profit,
        magic_number=order.magic_number,
        comment=order.comment,
        open_time=order.open_time,
        current_price=order.current_price,
        profit=order.profit,
        swap=order.swap,
        commission=order.commission,
    )


def pending_data(order: Order) -> PendingOrderData:
    pending_type: PendingType
    match order.type:
        case "buy_limit" | "sell_limit" | "buy_stop" | "sell_stop":
            pending_type = order.type
        case _:
            raise ValueError(f"#{order.ticket} is not a pending order")
    return PendingOrderData(
        ticket=order.ticket,
        symbol=order.symbol,
        type=pending_type,
        lots=order.lots,
        price=order.open_price,
        stop_loss=order.stop_loss,
        take_profit=order.take_profit,
        expiration=order.expiration,
        magic_number=order.magic_number,
        comment=order.comment,
        open_time=order.open_time,
    )


def position_tick(order: Order) -> PositionTick:
    return PositionTick(
        ticket=order.ticket,
        current_price=order.current_price,
        profit=order.profit,
        swap=order.swap,
        commission=order.commission,
    )


def account_data(broker: Broker) -> AccountData:
    return AccountData(
        balance=broker.account.balance,
        equity=broker.equity,
        margin=broker.margin,
        margin_free=broker.margin_free,
        margin_level=broker.margin_level,
        profit=broker.profit,
        credit=broker.account.credit,
    )


def symbol_info_data(spec: SymbolSpec) -> SymbolInfoData:
    return SymbolInfoData(
        symbol=spec.name,
        digits=spec.digits,
        point=spec.point,
        min_lot=spec.min_lot,
        max_lot=spec.max_lot,
        lot_step=spec.lot_step,
        stops_level=spec.stops_level,
        freeze_level=spec.freeze_level,
        contract_size=spec.contract_size,
        trade_allowed=spec.trade_allowed,
        description=spec.description or None,
    )


def broker_event(change: BrokerEvent, timestamp: datetime) -> Event:
    """The protocol event the EA would send for one change in the order pool."""
    match change:
        case Opened(order=o):
            return PositionOpened(
                type="position_opened", timestamp=timestamp, data=position_data(o)
            )
        case Triggered(order=o):
            return OrderTriggered(
                type="order_triggered", timestamp=timestamp, data=position_data(o)
            )
        case Placed(order=o):
            return OrderPlaced(type="order_placed", timestamp=timestamp, data=pending_data(o))
        case Closed(order=o, close_price=price, profit=profit, close_time=t, reason=reason):
            return PositionClosed(
                type="position_closed",
                timestamp=timestamp,
                data=PositionClosedData(
                    ticket=o.ticket,
                    close_price=price,
                    profit=profit,
                    commission=o.commission,
                    swap=o.swap,
                    net_profit=round(profit + o.commission + o.swap, 2),
                    symbol=o.symbol,
                    lots=o.lots,
                    close_time=t,
                    reason=reason,
                ),
            )
        case PartiallyClosed() as p:
            return PositionPartiallyClosed(
                type="position_partially_closed",
                timestamp=timestamp,
                data=PartialCloseData(
                    ticket=p.old_ticket,
                    new_ticket=p.remainder.ticket,
                    closed_lots=p.closed_lots,
                    remaining_lots=p.remainder.lots,
                    close_price=p.close_price,
                    profit=p.profit,
                    commission=p.commission,
                    swap=p.swap,
                    net_profit=round(p.profit + p.commission + p.swap, 2),
                    close_time=p.close_time,
                ),
            )
        case PositionChanged(order=o):
            return PositionModified(
                type="position_modified",
                timestamp=timestamp,
                data=PositionModifiedData(
                    ticket=o.ticket, stop_loss=o.stop_loss, take_profit=o.take_profit
                ),
            )
        case PendingChanged(order=o):
            return OrderModified(
                type="order_modified",
                timestamp=timestamp,
                data=OrderModifiedData(
                    ticket=o.ticket,
                    price=o.open_price,
                    stop_loss=o.stop_loss,
                    take_profit=o.take_profit,
                    expiration=o.expiration,
                ),
            )
        case Deleted(order=o, reason=reason):
            return OrderDeleted(
                type="order_deleted",
                timestamp=timestamp,
                data=OrderDeletedData(ticket=o.ticket, reason=reason),
            )
    raise TypeError(f"unhandled broker change {change!r}")


def account_update(data: AccountData, timestamp: datetime) -> AccountUpdate:
    return AccountUpdate(type="account_update", timestamp=timestamp, data=data)
