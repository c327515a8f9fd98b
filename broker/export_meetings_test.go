package broker

import "time"

// CheckMeetingForTest exposes checkMeeting to the external tests.
func CheckMeetingForTest(cell *Cell, in MeetingRequest, now time.Time) error {
	_, err := checkMeeting(cell, in, now)
	return err
}

// ParseMeetingForTest decodes a meeting body as RecordMeeting does and
// checks it.
func ParseMeetingForTest(cell *Cell, body []byte, now time.Time) (MeetingRequest, error) {
	var in MeetingRequest
	if err := decodeBody(body, &in); err != nil {
		return in, err
	}
	_, err := checkMeeting(cell, in, now)
	return in, err
}
