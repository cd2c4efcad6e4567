// Package mikey reads and writes the MIKEY messages (RFC 3830) RTSP peers
// exchange in SDP "a=key-mgmt:mikey" and the KeyMgmt header (RFC 4567) to
// hand each other SRTP keys. Only what those peers use is implemented: a
// pre-shared-key initiation message whose key transport payload (KEMAC) is
// neither encrypted nor MACed — which is safe only inside a confidential
// channel such as RTSPS — with an SRTP security policy.
package mikey

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Payload types (RFC 3830 §6.1).
const (
	payloadLast  = 0
	payloadKEMAC = 1
	payloadT     = 5
	payloadSP    = 10
	payloadRAND  = 11
)

// Data types of the common header.
const (
	TypePSKInit   = 0
	TypePSKVerify = 1
)

// Key data types (RFC 3830 §6.13).
const (
	KeyTGK     = 0
	KeyTGKSalt = 1
	KeyTEK     = 2
	KeyTEKSalt = 3
)

// SRTP policy parameter types (RFC 3830 §6.10.1).
const (
	ParamEncAlg      = 0
	ParamEncKeyLen   = 1
	ParamAuthAlg     = 2
	ParamAuthKeyLen  = 3
	ParamSaltKeyLen  = 4
	ParamPRF         = 5
	ParamKDR         = 6
	ParamSRTPEnc     = 7
	ParamSRTCPEnc    = 8
	ParamFECOrder    = 9
	ParamSRTPAuth    = 10
	ParamAuthTagLen  = 11
	ParamSRTPPrefix  = 12
	EncAlgNull       = 0
	EncAlgAESCM      = 1
	AuthAlgNull      = 0
	AuthAlgHMACSHA1  = 1
	protSRTP         = 0
	maxCryptoSession = 16
)

// MaxSize bounds the message Parse accepts.
const MaxSize = 4096

// ErrMalformed wraps every parse error.
var ErrMalformed = errors.New("mikey: malformed message")

// ErrUnsupported is returned for messages this package cannot use: other
// data types, encrypted or MACed key transport, other protocols.
var ErrUnsupported = errors.New("mikey: unsupported message")

// CryptoSession maps one SRTP stream (by SSRC) to a security policy.
type CryptoSession struct {
	Policy uint8
	SSRC   uint32
	ROC    uint32
}

// Param is one security policy parameter.
type Param struct {
	Type  uint8
	Value []byte
}

// Policy is a security policy payload for SRTP.
type Policy struct {
	No     uint8
	Params []Param
}

// Value returns the first byte of parameter typ, or def when absent.
func (p Policy) Value(typ uint8, def int) int {
	for _, x := range p.Params {
		if x.Type == typ && len(x.Value) > 0 {
			return int(x.Value[0])
		}
	}
	return def
}

// Key is one key data sub-payload.
type Key struct {
	Type uint8 // KeyTGK … KeyTEKSalt
	Key  []byte
	Salt []byte // for the +salt types
}

// Message is a MIKEY message as RTSP peers use it.
type Message struct {
	Type      uint8 // TypePSKInit
	CSBID     uint32
	Sessions  []CryptoSession
	Timestamp uint64 // NTP-UTC
	Rand      []byte
	Policies  []Policy
	Keys      []Key
}

// Parse reads a message. It returns sub-slices of b.
func Parse(b []byte) (*Message, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), MaxSize)
	}
	r := reader{b: b}
	version, dataType, next := r.u8(), r.u8(), r.u8()
	prf := r.u8()
	m := &Message{Type: dataType, CSBID: r.u32()}
	ncs, mapType := int(r.u8()), r.u8()
	if r.err != nil {
		return nil, r.err
	}
	if version != 1 {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupported, version)
	}
	if dataType != TypePSKInit && dataType != TypePSKVerify {
		return nil, fmt.Errorf("%w: data type %d", ErrUnsupported, dataType)
	}
	if prf&0x7f != 0 || mapType != 0 {
		return nil, fmt.Errorf("%w: PRF %d or CS map type %d", ErrUnsupported, prf&0x7f, mapType)
	}
	if ncs > maxCryptoSession {
		return nil, fmt.Errorf("%w: %d crypto sessions", ErrMalformed, ncs)
	}
	for i := 0; i < ncs; i++ {
		m.Sessions = append(m.Sessions, CryptoSession{Policy: r.u8(), SSRC: r.u32(), ROC: r.u32()})
	}
	for n := 0; next != payloadLast && r.err == nil; n++ {
		if n > 32 {
			return nil, fmt.Errorf("%w: too many payloads", ErrMalformed)
		}
		typ := next
		next = r.u8()
		switch typ {
		case payloadT:
			switch r.u8() {
			case 0, 1: // NTP-UTC, NTP
				m.Timestamp = r.u64()
			case 2: // counter
				m.Timestamp = uint64(r.u32())
			default:
				return nil, fmt.Errorf("%w: timestamp type", ErrMalformed)
			}
		case payloadRAND:
			m.Rand = r.bytes(int(r.u8()))
		case payloadSP:
			p := Policy{No: r.u8()}
			prot := r.u8()
			params := reader{b: r.bytes(int(r.u16()))}
			if r.err != nil {
				break
			}
			if prot != protSRTP {
				return nil, fmt.Errorf("%w: security protocol %d", ErrUnsupported, prot)
			}
			for len(params.b) > 0 && params.err == nil {
				p.Params = append(p.Params, Param{Type: params.u8(), Value: params.bytes(int(params.u8()))})
			}
			if params.err != nil {
				return nil, params.err
			}
			m.Policies = append(m.Policies, p)
		case payloadKEMAC:
			enc := r.u8()
			data := r.bytes(int(r.u16()))
			mac := r.u8()
			if r.err != nil {
				break
			}
			if enc != EncAlgNull || mac != 0 {
				return nil, fmt.Errorf("%w: encrypted (%d) or MACed (%d) key transport", ErrUnsupported, enc, mac)
			}
			keys, err := parseKeys(data)
			if err != nil {
				return nil, err
			}
			m.Keys = append(m.Keys, keys...)
			// KEMAC is last by definition (RFC 3830 §6.2).
			next = payloadLast
		default:
			return nil, fmt.Errorf("%w: payload type %d", ErrUnsupported, typ)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

func parseKeys(b []byte) ([]Key, error) {
	r := reader{b: b}
	var keys []Key
	next := uint8(20) // key data
	for next != payloadLast && r.err == nil {
		if len(keys) >= maxCryptoSession {
			return nil, fmt.Errorf("%w: too many keys", ErrMalformed)
		}
		next = r.u8()
		tkv := r.u8()
		k := Key{Type: tkv >> 4}
		kv := tkv & 0x0f
		k.Key = r.bytes(int(r.u16()))
		switch k.Type {
		case KeyTGKSalt, KeyTEKSalt:
			k.Salt = r.bytes(int(r.u16()))
		case KeyTGK, KeyTEK:
		default:
			return nil, fmt.Errorf("%w: key type %d", ErrMalformed, k.Type)
		}
		switch kv {
		case 0: // no validity data
		case 1: // SPI/MKI
			r.bytes(int(r.u8()))
		case 2: // interval
			r.bytes(int(r.u8()))
			r.bytes(int(r.u8()))
		default:
			return nil, fmt.Errorf("%w: key validity %d", ErrMalformed, kv)
		}
		if r.err == nil {
			keys = append(keys, k)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return keys, nil
}

// Marshal writes m with its KEMAC in the clear.
func (m *Message) Marshal() []byte {
	b := []byte{1, m.Type, 0, 0}
	b = binary.BigEndian.AppendUint32(b, m.CSBID)
	b = append(b, byte(len(m.Sessions)), 0)
	for _, cs := range m.Sessions {
		b = append(b, cs.Policy)
		b = binary.BigEndian.AppendUint32(b, cs.SSRC)
		b = binary.BigEndian.AppendUint32(b, cs.ROC)
	}
	nextAt := 2 // where the next-payload byte of the previous payload is
	link := func(typ byte) {
		b[nextAt] = typ
		nextAt = len(b)
	}
	link(payloadT)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint64(b, m.Timestamp)
	if len(m.Rand) > 0 {
		link(payloadRAND)
		b = append(b, 0, byte(len(m.Rand)))
		b = append(b, m.Rand...)
	}
	for _, p := range m.Policies {
		link(payloadSP)
		b = append(b, 0, p.No, protSRTP)
		n := 0
		for _, x := range p.Params {
			n += 2 + len(x.Value)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		for _, x := range p.Params {
			b = append(b, x.Type, byte(len(x.Value)))
			b = append(b, x.Value...)
		}
	}
	if len(m.Keys) > 0 {
		link(payloadKEMAC)
		b = append(b, payloadLast, EncAlgNull)
		var kd []byte
		for i, k := range m.Keys {
			next := byte(20)
			if i == len(m.Keys)-1 {
				next = payloadLast
			}
			kd = append(kd, next, k.Type<<4)
			kd = binary.BigEndian.AppendUint16(kd, uint16(len(k.Key)))
			kd = append(kd, k.Key...)
			if k.Type == KeyTGKSalt || k.Type == KeyTEKSalt {
				kd = binary.BigEndian.AppendUint16(kd, uint16(len(k.Salt)))
				kd = append(kd, k.Salt...)
			}
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(kd)))
		b = append(b, kd...)
		b = append(b, 0) // MAC algorithm NULL, no MAC
	}
	return b
}

// reader reads big-endian fields and remembers the first overrun.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", ErrMalformed)
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (r *reader) bytes(n int) []byte { return r.take(n) }
